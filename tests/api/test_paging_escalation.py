"""Escalation (issue 12): nobody acknowledges, so each level's timeout pages the next, the
policy repeats, then paging stops with PagingExhausted. The steps are taken from the log: a
notifier stopped mid-escalation resumes without skipping or doubling a page, and two pagers
deciding the same step at once record it once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from services.notifier.pager import Pager
from shared.eventstore.repository import IncidentRepository
from tests.api.conftest import Headers, declare, events_of, post
from tests.api.paging_helpers import (
    Paging,
    checkout_service,
    event_names,
    eventually,
    has_event,
    paged_on_checkout,
    paging,
    paging_api,
    paging_notifier,
    reachable_person,
)
from tests.problems import assert_problem

__all__ = ["paging", "paging_api"]  # the fixtures

STEPS = ["Paged", "PageEscalated", "Paged"]


async def test_unacknowledged_pages_escalate_repeat_and_run_out(
    paging: Paging,
    alice: Headers,
    bob: Headers,
) -> None:
    client, pool, database_url, root = paging
    await checkout_service(client, root, timeouts=(1, 1), repeat=1)

    async with paging_notifier(pool, database_url):
        incident = await declare(client, alice, services=["checkout"])
        await eventually(lambda: has_event(client, alice, incident["id"], "PagingExhausted"))

    events = await events_of(client, alice, incident["id"])
    steps = [(e["type"], _where(e)) for e in events[1:]]
    assert steps == [
        ("Paged", ("bob", 1, 1)),
        ("PageEscalated", (1, 1, 2, 1)),
        ("Paged", ("carol", 2, 1)),
        ("PageEscalated", (2, 1, 1, 2)),
        ("Paged", ("bob", 1, 2)),
        ("PageEscalated", (1, 2, 2, 2)),
        ("Paged", ("carol", 2, 2)),
        ("PagingExhausted", (2,)),
    ]
    assert {e["actor"] for e in events[1:]} == {"system"}
    assert events[2]["data"]["reason"] == "level 1 not acknowledged within 1 s"

    # Someone paged may still take it afterwards.
    acknowledged = await post(client, bob, incident, "acknowledge")
    assert acknowledged.status_code == 200, acknowledged.text


async def test_an_acknowledgement_stops_the_escalation(
    paging: Paging,
    alice: Headers,
    bob: Headers,
    dave: Headers,
) -> None:
    client, pool, database_url, root = paging
    await checkout_service(client, root, timeouts=(1, 1))

    async with paging_notifier(pool, database_url):
        incident = await declare(client, alice, services=["checkout"])
        await eventually(lambda: has_event(client, alice, incident["id"], "Paged"))
        acknowledged = await post(client, bob, incident, "acknowledge")
        assert acknowledged.status_code == 200, acknowledged.text
        # The level's timeout passes by the database's clock; the notifier records nothing.
        await eventually(lambda: _past_timeout(pool, incident["id"]))
        await _paging_caught_up(pool)

    assert await event_names(client, alice, incident["id"]) == ["Declared", "Paged", "Acknowledged"]
    refused = await post(client, dave, incident, "acknowledge")
    assert_problem(refused, 403, "not-incident-authority")


async def test_a_stopped_notifier_resumes_the_escalation_without_a_gap_or_a_double(
    paging: Paging,
    repository: IncidentRepository,
    alice: Headers,
) -> None:
    client, pool, database_url, root = paging
    await reachable_person(client, root, "carol", [{"type": "email", "address": "c@example.com"}])
    incident = await paged_on_checkout(client, pool, database_url, root, alice, timeouts=(1, 1))
    # Stopped after the first page; level 1 times out while no notifier runs.
    await eventually(lambda: _past_timeout(pool, incident["id"]))

    # Two pagers take the same due step at once (as two notifiers would without the lock):
    # the incident's version lets one append, the other's fails and records nothing.
    pagers = [Pager(pool, repository, scan_seconds=1, wake=asyncio.Event()) for _ in range(2)]
    recorded = await asyncio.gather(*(p.scan() for p in pagers))
    assert sorted(recorded) == [0, 1]
    names = await event_names(client, alice, incident["id"])
    assert names == ["Declared", *STEPS]

    # A notifier started now finds the step taken (its follower had not seen it): it queues
    # carol's page once and goes on from level 2.
    async with paging_notifier(pool, database_url):
        await eventually(lambda: has_event(client, alice, incident["id"], "PagingExhausted"))
        await _paging_caught_up(pool)

    events = await events_of(client, alice, incident["id"])
    assert [(e["type"], _where(e)) for e in events[1:]] == [
        ("Paged", ("bob", 1, 1)),
        ("PageEscalated", (1, 1, 2, 1)),
        ("Paged", ("carol", 2, 1)),
        ("PagingExhausted", (1,)),
    ]
    queued = await pool.fetch(
        "SELECT person, level FROM irm_pages WHERE incident_id = $1", incident["id"]
    )
    assert [(r["person"], r["level"]) for r in queued] == [("carol", 2)]


def _where(event: dict[str, Any]) -> tuple[Any, ...]:
    data = event["data"]
    match event["type"]:
        case "Paged":
            return (data["person"], data["level"], data["round"])
        case "PageEscalated":
            return (data["from_level"], data["from_round"], data["to_level"], data["to_round"])
        case _:
            return (data["rounds"],)


async def _past_timeout(pool: asyncpg.Pool, incident_id: str) -> bool | None:
    """Whether the database's clock is past the last page's timeout."""
    past = await pool.fetchval(
        "SELECT now() > max((convert_from(state, 'UTF8')::jsonb #>> "
        "'{timestamp,_data_}')::timestamptz + make_interval(secs => "
        "(convert_from(state, 'UTF8')::jsonb ->> 'timeout_seconds')::int)) "
        "FROM irm_events WHERE originator_id = $1 AND topic = 'irm:Incident.Paged'",
        incident_id,
    )
    return True if past else None


async def _paging_caught_up(pool: asyncpg.Pool) -> None:
    """Wait until the paging follower has handled the whole log."""

    async def caught_up() -> bool | None:
        behind = await pool.fetchval(
            "SELECT (SELECT coalesce(max(notification_id), 0) FROM irm_events) > "
            "coalesce((SELECT notification_id FROM irm_tracking "
            "WHERE application_name = 'notifier paging'), 0)"
        )
        return None if behind else True

    await eventually(caught_up)
