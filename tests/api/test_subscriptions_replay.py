"""Replay of the event log from any position to one subscription, and redelivery.

Replay and redelivery only queue; no notifier runs here, so the queued deliveries stay pending
and the receiver URL is never contacted.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from shared.eventstore.store import EventStore, RecordedEvent
from shared.webhooks.facts import IncidentFacts, facts_after
from shared.webhooks.message import build_body, message_id
from tests.api.conftest import Headers, assert_problem, declare
from tests.api.subscription_helpers import log_of, subscribe


async def replay(
    api: httpx.AsyncClient, headers: Headers, subscription_id: str, **body: Any
) -> dict[str, Any]:
    """POST …/replay and return the 202's body."""
    response = await api.post(
        f"/v1/subscriptions/{subscription_id}/replay", json=body, headers=headers
    )
    assert response.status_code == 202, response.text
    queued: dict[str, Any] = response.json()
    return queued


async def bodies(pool: asyncpg.Pool, deliveries: list[dict[str, Any]]) -> list[bytes]:
    """The stored bodies of deliveries, in the same order."""
    rows = dict(
        await pool.fetch(
            "SELECT id, body FROM irm_deliveries WHERE id = any($1::uuid[])",
            [uuid.UUID(d["id"]) for d in deliveries],
        )
    )
    return [bytes(rows[uuid.UUID(d["id"])]) for d in deliveries]


@pytest_asyncio.fixture(loop_scope="session")
async def history(api: httpx.AsyncClient, store: EventStore, alice: Headers) -> list[RecordedEvent]:
    """Two incidents' events, interleaved in the log: A (P2, then P1) and B (P4, resolved)."""
    a = await declare(api, alice, title="Checkout returns 500s", severity="P2")
    b = await declare(api, alice, title="Search is slow", severity="P4")
    commands = [
        (a, "severity", {"severity": "P1", "reason": "all regions failing"}),
        (b, "updates", {"audience": "internal", "body": "reindexing"}),
        (a, "updates", {"audience": "customer", "body": "We are investigating."}),
        (b, "resolve", {"resolution": "restored", "summary": "reindexed"}),
    ]
    for incident, action, body in commands:
        response = await api.post(
            f"/v1/incidents/{incident['id']}/{action}", json=body, headers=alice
        )
        assert response.status_code == 200, response.text
    events = await store.read_log(after=0, limit=100)
    assert len(events) == 6
    return events


def live_bodies(events: list[RecordedEvent]) -> dict[int, bytes]:
    """The body of each event by position, as the notifier builds it following the log."""
    facts: dict[uuid.UUID, IncidentFacts] = {}
    built: dict[int, bytes] = {}
    for event in events:
        facts[event.originator_id] = facts_after(facts.get(event.originator_id), event)
        built[event.position] = build_body(event, facts[event.originator_id])
    return built


async def test_replay_queues_each_event_from_the_position_with_its_original_message_id(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(api, root)
    later = history[2:]

    queued = await replay(api, root, subscription["id"], from_position=later[0].position)

    assert queued == {"queued": 4, "events_read": 4, "next_position": None}
    deliveries = await log_of(api, root, subscription["id"])
    assert [(d["position"], d["message_id"]) for d in deliveries] == [
        (e.position, message_id(e)) for e in later
    ]
    assert [d["event_type"] for d in deliveries] == [
        "incident.severity_changed",
        "incident.update_posted",
        "incident.update_posted",
        "incident.resolved",
    ]
    assert [d["incident_id"] for d in deliveries] == [str(e.originator_id) for e in later]
    assert [d["event_version"] for d in deliveries] == [e.version for e in later]
    assert {d["cause"] for d in deliveries} == {"replay"}
    assert {d["status"] for d in deliveries} == {"pending"}


async def test_a_replayed_message_is_the_message_sent_live(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(api, root)

    # From the middle: the incidents' facts before that point come from their aggregates.
    await replay(api, root, subscription["id"], from_position=history[3].position)

    deliveries = await log_of(api, root, subscription["id"])
    live = live_bodies(history)
    assert await bodies(pool, deliveries) == [live[d["position"]] for d in deliveries]


async def test_max_events_cuts_a_replay_and_next_position_continues_it(
    api: httpx.AsyncClient, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(api, root)

    first = await replay(api, root, subscription["id"], from_position=1, max_events=4)
    second = await replay(
        api, root, subscription["id"], from_position=first["next_position"], max_events=4
    )

    assert first == {"queued": 4, "events_read": 4, "next_position": history[4].position}
    assert second == {"queued": 2, "events_read": 2, "next_position": None}
    deliveries = await log_of(api, root, subscription["id"])
    assert [d["message_id"] for d in deliveries] == [message_id(e) for e in history]


async def test_a_replay_that_reads_exactly_to_the_end_has_nowhere_to_continue(
    api: httpx.AsyncClient, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(api, root)

    queued = await replay(api, root, subscription["id"], from_position=1, max_events=6)

    assert queued == {"queued": 6, "events_read": 6, "next_position": None}


async def test_a_replay_queues_only_what_the_subscription_wants(
    api: httpx.AsyncClient, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(
        api, root, event_types=["incident.declared", "incident.resolved"], severities=["P4"]
    )

    queued = await replay(api, root, subscription["id"], from_position=1)

    assert queued == {"queued": 2, "events_read": 6, "next_position": None}
    deliveries = await log_of(api, root, subscription["id"])
    assert [(d["event_type"], d["position"]) for d in deliveries] == [
        ("incident.declared", history[1].position),
        ("incident.resolved", history[5].position),
    ]


async def test_a_replay_from_beyond_the_end_queues_nothing(
    api: httpx.AsyncClient, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(api, root)

    queued = await replay(api, root, subscription["id"], from_position=history[-1].position + 1)

    assert queued == {"queued": 0, "events_read": 0, "next_position": None}
    assert await log_of(api, root, subscription["id"]) == []


async def test_a_replay_goes_only_to_its_subscription(
    api: httpx.AsyncClient, root: Headers, history: list[RecordedEvent]
) -> None:
    replayed = await subscribe(api, root)
    other = await subscribe(api, root)

    await replay(api, root, replayed["id"], from_position=1)

    assert len(await log_of(api, root, replayed["id"])) == 6
    assert await log_of(api, root, other["id"]) == []


async def test_redeliver_queues_the_same_message_again(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, history: list[RecordedEvent]
) -> None:
    subscription = await subscribe(api, root)
    await replay(api, root, subscription["id"], from_position=history[2].position, max_events=1)
    [original] = await log_of(api, root, subscription["id"])

    response = await api.post(
        f"/v1/subscriptions/{subscription['id']}/deliveries/{original['id']}/redeliver",
        headers=root,
    )

    assert response.status_code == 202, response.text
    new_id = response.json()["delivery_id"]
    first, again = await log_of(api, root, subscription["id"])
    assert first == original
    assert again["id"] == new_id != original["id"]
    assert again["cause"] == "redeliver"
    assert (again["status"], again["attempts"], again["attempt_log"]) == ("pending", 0, [])
    same = ("message_id", "incident_id", "position", "event_version", "event_type")
    assert {k: again[k] for k in same} == {k: original[k] for k in same}
    assert again["message_id"] == message_id(history[2])
    original_body, again_body = await bodies(pool, [first, again])
    assert again_body == original_body


async def test_a_delivery_of_another_subscription_cannot_be_redelivered_here(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, history: list[RecordedEvent]
) -> None:
    owner = await subscribe(api, root)
    other = await subscribe(api, root)
    await replay(api, root, owner["id"], from_position=1, max_events=1)
    [delivery] = await log_of(api, root, owner["id"])

    response = await api.post(
        f"/v1/subscriptions/{other['id']}/deliveries/{delivery['id']}/redeliver", headers=root
    )

    assert_problem(response, 404, "delivery-not-found")
    assert await pool.fetchval("SELECT count(*) FROM irm_deliveries") == 1
