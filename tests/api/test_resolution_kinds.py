"""A false alarm and a duplicate (issue 10): `duplicate_of` names another declared incident by
reference or id, neither needs a review, and time to resolve leaves both out by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import (
    Headers,
    assert_problem,
    declare,
    events_of,
    post,
    read,
    stored_events,
)

P1 = {"severity": "P1", "reason": "every region"}


@pytest.mark.parametrize("by", ["reference", "id"])
async def test_a_duplicate_records_the_incident_it_duplicates(
    client: httpx.AsyncClient, alice: Headers, by: str
) -> None:
    original = await declare(client, alice, title="Checkout down")
    incident = await declare(client, alice)
    key = original["reference"].lower() if by == "reference" else original["id"]

    response = await post(
        client,
        alice,
        incident,
        "resolve",
        {"resolution": "duplicate", "summary": "same outage", "duplicate_of": key},
    )

    assert response.status_code == 200, response.text
    resolved = (await events_of(client, alice, incident["id"]))[-1]
    assert resolved["type"] == "Resolved"
    assert resolved["data"]["duplicate_of"] == original["id"]
    assert resolved["data"]["duplicate_of_reference"] == original["reference"]


@pytest.mark.parametrize("key", ["INC-999999", "3f1c5b0e-5d4a-4c8e-9a57-1b2c3d4e5f60"])
async def test_a_duplicate_of_an_incident_nobody_declared_is_422(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    key: str,
) -> None:
    before = await stored_events(pool)
    response = await post(
        client,
        alice,
        incident,
        "resolve",
        {"resolution": "duplicate", "summary": "same outage", "duplicate_of": key},
    )

    assert_problem(response, 422, "unknown-incident")
    assert response.json()["field"] == "duplicate_of"
    assert await stored_events(pool) == before


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"resolution": "duplicate", "summary": "same"}, "validation-error"),
        (
            {"resolution": "duplicate", "summary": "same", "duplicate_of": "SELF"},
            "validation-error",
        ),
        ({"resolution": "restored", "summary": "same", "duplicate_of": "SELF"}, "validation-error"),
        ({"resolution": "duplicate", "summary": "same", "duplicate_of": "INC-x"}, None),
    ],
)
async def test_a_duplicate_needs_another_incident(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    body: dict[str, Any],
    rule: str | None,
) -> None:
    if body.get("duplicate_of") == "SELF":
        body = {**body, "duplicate_of": incident["reference"]}
    before = await stored_events(pool)

    response = await post(client, alice, incident, "resolve", body)

    assert response.status_code == 422, response.text
    if rule is not None:
        assert_problem(response, 422, rule, field="duplicate_of")
    assert await stored_events(pool) == before


@pytest.mark.parametrize("resolution", ["false_alarm", "duplicate"])
async def test_a_p1_false_alarm_or_duplicate_needs_no_review(
    client: httpx.AsyncClient, alice: Headers, resolution: str
) -> None:
    original = await declare(client, alice)
    incident = await declare(client, alice)
    assert (await post(client, alice, incident, "severity", P1)).status_code == 200
    body: dict[str, Any] = {"resolution": resolution, "summary": "not an incident of its own"}
    if resolution == "duplicate":
        body["duplicate_of"] = original["reference"]

    answer = await post(client, alice, incident, "resolve", body)

    assert answer.status_code == 200, answer.text
    view = (await read(client, alice, answer.json())).json()
    assert view["resolution"] == resolution
    assert (view["postmortem_required"], view["review_pending"]) == (False, False)


async def test_time_to_resolve_leaves_out_false_alarms_unless_asked(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    real = await declare(client, alice)
    alarm = await declare(client, alice)
    assert (
        await post(client, alice, real, "resolve", {"resolution": "restored", "summary": "fixed"})
    ).status_code == 200
    last = await post(
        client, alice, alarm, "resolve", {"resolution": "false_alarm", "summary": "a flaky probe"}
    )
    assert last.status_code == 200, last.text
    params = {"since": since, "min_position": last.json()["position"]}

    left_out = await client.get("/v1/metrics/incidents", params=params, headers=alice)
    counted = await client.get(
        "/v1/metrics/incidents", params={**params, "include_not_incidents": "true"}, headers=alice
    )

    assert left_out.status_code == counted.status_code == 200, left_out.text
    assert left_out.json()["incidents"] == 2
    assert left_out.json()["time_to_resolve"]["count"] == 1
    assert counted.json()["time_to_resolve"]["count"] == 2
