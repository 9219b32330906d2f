"""Linking incidents (issue 10): POST /v1/incidents/{id}/links records IncidentLinked on both
incidents in one append, and both list the link, in their state, read model and timeline."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import (
    RESOLVE,
    Headers,
    assert_problem,
    declare,
    events_of,
    post,
    read,
    stored_events,
)


async def link(
    client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any], other: str, relation: str
) -> httpx.Response:
    return await post(client, headers, incident, "links", {"incident": other, "relation": relation})


async def test_a_link_shows_on_both_incidents(client: httpx.AsyncClient, alice: Headers) -> None:
    cause = await declare(client, alice, title="Database failover")
    effect = await declare(client, alice, title="Checkout down")

    response = await link(client, alice, effect, cause["reference"].lower(), "caused_by")

    assert response.status_code == 200, response.text
    answer = response.json()
    assert response.headers["ETag"] == f'"{answer["version"]}"'
    assert answer["links"] == [
        {
            "other_id": cause["id"],
            "other_reference": cause["reference"],
            "relation": "caused_by",
            "direction": "to",
        }
    ]
    back = {
        "other_id": effect["id"],
        "other_reference": effect["reference"],
        "relation": "caused_by",
        "direction": "from",
    }
    seen = await read(client, alice, {"id": cause["id"], "position": answer["position"]})
    assert seen.status_code == 200, seen.text
    assert seen.json()["links"] == [back]
    seen = await read(client, alice, answer)
    assert seen.json()["links"] == answer["links"]

    for incident, text in (
        (effect, f"alice linked this incident: caused by {cause['reference']}"),
        (cause, f"alice linked {effect['reference']}: caused by this incident"),
    ):
        events = await events_of(client, alice, incident["id"])
        assert events[-1]["type"] == "IncidentLinked"
        timeline = await client.get(
            f"/v1/incidents/{incident['id']}/timeline",
            params={"min_position": answer["position"]},
            headers=alice,
        )
        assert timeline.status_code == 200, timeline.text
        assert timeline.json()["items"][-1]["summary"] == text


async def test_a_closed_incident_may_be_linked(client: httpx.AsyncClient, alice: Headers) -> None:
    closed = await declare(client, alice)
    assert (await post(client, alice, closed, "resolve", RESOLVE)).status_code == 200
    assert (await post(client, alice, closed, "close")).status_code == 200
    other = await declare(client, alice)

    response = await link(client, alice, closed, other["reference"], "related")

    assert response.status_code == 200, response.text


async def test_the_same_link_twice_is_409_no_change(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    one, two = await declare(client, alice), await declare(client, alice)
    assert (await link(client, alice, one, two["id"], "related")).status_code == 200
    before = await stored_events(pool)

    assert_problem(await link(client, alice, one, two["id"], "related"), 409, "no-change")
    assert await stored_events(pool) == before


@pytest.mark.parametrize(
    ("other", "relation", "status", "rule"),
    [
        ("SELF", "related", 422, "validation-error"),
        ("INC-999999", "related", 422, "unknown-incident"),
        ("OTHER", "blames", 422, "validation-error"),
    ],
)
async def test_a_link_that_cannot_be_is_refused_and_records_nothing(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    other: str,
    relation: str,
    status: int,
    rule: str,
) -> None:
    incident, another = await declare(client, alice), await declare(client, alice)
    key = {"SELF": incident["reference"], "OTHER": another["reference"]}.get(other, other)
    before = await stored_events(pool)

    response = await link(client, alice, incident, key, relation)

    assert_problem(response, status, rule)
    assert await stored_events(pool) == before


async def test_only_the_acting_ic_links(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, dave: Headers
) -> None:
    incident, other = await declare(client, alice), await declare(client, alice)
    before = await stored_events(pool)

    response = await link(client, dave, incident, other["reference"], "related")

    assert_problem(response, 403, "not-incident-authority")
    assert await stored_events(pool) == before
