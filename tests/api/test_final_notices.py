"""Customer communication after the resolution (issue 11): a CL or the IC posts final notices
(`"kind": "final"`) after resolve and after close, anyone posts internal updates after close,
and the customer-update cadence starts at the first classification, not the declaration."""

from __future__ import annotations

from datetime import datetime, timedelta
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

FINAL = {
    "audience": "customer",
    "body": "RCA published: https://status.example/rca/7",
    "kind": "final",
}


async def resolved(client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]) -> None:
    assert (await post(client, alice, incident, "resolve", RESOLVE)).status_code == 200


async def closed(client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]) -> None:
    await resolved(client, alice, incident)
    assert (await post(client, alice, incident, "close")).status_code == 200


@pytest.mark.parametrize("status", ["resolved", "closed"])
async def test_the_ic_posts_a_final_notice_after_resolve_and_after_close(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], status: str
) -> None:
    await (resolved if status == "resolved" else closed)(client, alice, incident)

    response = await post(client, alice, incident, "updates", FINAL)

    assert response.status_code == 200, response.text
    view = (await read(client, alice, response.json())).json()
    assert view["status"] == status
    assert view["next_customer_update_due"] is None, "no cadence runs after the resolution"
    notice = (await events_of(client, alice, incident["id"]))[-1]
    assert (notice["type"], notice["actor"]) == ("UpdatePosted", "alice")
    assert notice["data"] == {
        "audience": "customer",
        "body": FINAL["body"],
        "break_glass": False,
        "kind": "final",
    }


async def test_the_communications_lead_posts_a_final_notice_on_a_closed_incident(
    client: httpx.AsyncClient, alice: Headers, bob: Headers, incident: dict[str, Any]
) -> None:
    role = {"role": "communications_lead", "assignee": "bob"}
    assert (await post(client, alice, incident, "roles", role)).status_code == 200
    await closed(client, alice, incident)

    response = await post(client, bob, incident, "updates", FINAL)

    assert response.status_code == 200, response.text
    assert (await events_of(client, alice, incident["id"]))[-1]["actor"] == "bob"


async def test_anyone_may_post_an_internal_update_after_close(
    client: httpx.AsyncClient, alice: Headers, bob: Headers, incident: dict[str, Any]
) -> None:
    await closed(client, alice, incident)

    body = {"audience": "internal", "body": "Dashboards archived for the review"}
    response = await post(client, bob, incident, "updates", body)

    assert response.status_code == 200, response.text
    update = (await events_of(client, alice, incident["id"]))[-1]
    assert (update["actor"], update["data"]["kind"]) == ("bob", "regular")


async def test_a_regular_customer_update_on_a_closed_incident_is_still_409(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    await closed(client, alice, incident)

    body = {"audience": "customer", "body": "all good"}
    response = await post(client, alice, incident, "updates", body)

    assert_problem(response, 409, "incident-closed")
    assert await stored_events(pool) == 3


async def test_a_final_notice_while_open_is_409_and_records_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await post(client, alice, incident, "updates", FINAL)

    assert_problem(response, 409, "incident-not-resolved")
    assert await stored_events(pool) == 1


async def test_a_final_notice_from_someone_without_the_role_is_403(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    bob: Headers,
    incident: dict[str, Any],
) -> None:
    await closed(client, alice, incident)

    response = await post(client, bob, incident, "updates", FINAL)

    assert_problem(response, 403, "not-incident-authority")
    assert await stored_events(pool) == 3


@pytest.mark.parametrize(
    ("audience", "kind"), [("internal", "final"), ("customer", "last")], ids=["internal", "unknown"]
)
async def test_a_final_internal_update_or_an_unknown_kind_is_422_on_kind(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    audience: str,
    kind: str,
) -> None:
    await resolved(client, alice, incident)

    body = {"audience": audience, "body": "x", "kind": kind}
    response = await post(client, alice, incident, "updates", body)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "kind" in response.text
    assert await stored_events(pool) == 2


async def test_the_cadence_starts_at_the_first_classification(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice, severity=None)
    view = (await read(client, alice, incident)).json()
    assert view["next_customer_update_due"] is None, "no cadence while unclassified"

    classify = {"severity": "P2", "reason": "one region"}
    response = await post(client, alice, incident, "severity", classify)
    assert response.status_code == 200, response.text
    raise_it = {"severity": "P1", "reason": "every region"}
    response = await post(client, alice, incident, "severity", raise_it)
    assert response.status_code == 200, response.text

    view = (await read(client, alice, response.json())).json()
    events = await events_of(client, alice, incident["id"])
    classified_at = datetime.fromisoformat(events[1]["occurred_at"])
    # The tests' projector runs P1 at 3 seconds, from the first classification; raising the
    # severity does not restart it.
    due = datetime.fromisoformat(view["next_customer_update_due"])
    assert due == classified_at + timedelta(seconds=3)
