"""Overdue customer updates, with the cadence shrunk to seconds: one CustomerUpdateOverdue per
missed interval, none before the next interval after a customer update, and after a restart
(or beside a second notifier) none missed and none repeated."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    command,
    declare,
    events_of,
    subscribe,
)
from tests.integration.notifier.receiver import eventually, open_message

pytestmark = pytest.mark.slow

INTERVAL = timedelta(seconds=1)
CADENCE = "P1=1s,P2=1h,P3=4h,P4=24h"
REMINDER = "CustomerUpdateOverdue"


def at(text: str) -> datetime:
    """An instant from the API's ISO text."""
    return datetime.fromisoformat(text)


def reminders_after(events: list[dict[str, Any]], contact: dict[str, Any]) -> list[dict[str, Any]]:
    """The reminders recorded after `contact` (a Declared or a customer update) and before the
    next customer contact."""
    after = events[events.index(contact) + 1 :]
    found = []
    for event in after:
        if event["type"] == "UpdatePosted" and event["data"]["audience"] == "customer":
            break
        if event["type"] == REMINDER:
            found.append(event)
    return found


def assert_one_per_interval(reminders: list[dict[str, Any]], contact: dict[str, Any]) -> None:
    """Reminders 1, 2, 3… each due one more interval after the contact, none early."""
    contact_at = at(contact["occurred_at"])
    assert [r["data"]["missed_intervals"] for r in reminders] == list(range(1, len(reminders) + 1))
    for n, reminder in enumerate(reminders, start=1):
        due = at(reminder["data"]["due_at"])
        assert due == contact_at + n * INTERVAL
        assert at(reminder["data"]["last_customer_contact_at"]) == contact_at
        assert at(reminder["occurred_at"]) >= due, "never before it is due"
        assert reminder["actor"] == "system"
        assert reminder["data"]["severity"] == "P1"


async def count_reminders(client: httpx.AsyncClient, reader: Headers, incident_id: str) -> int:
    """How many reminders the incident has."""
    return sum(e["type"] == REMINDER for e in await events_of(client, reader, incident_id))


async def test_one_reminder_per_missed_interval_and_a_customer_update_restarts_the_count(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers()
    subscription = await subscribe(
        client, admin, receiver.url, event_types=["incident.customer_update_overdue"]
    )
    async with notifier(update_cadence=CADENCE):
        incident_id = await declare(client, alice, severity="P1")
        await eventually(
            lambda: _has(client, alice, incident_id, 3), what="three reminders", within=60
        )
        await command(
            client, alice, incident_id, "updates", {"audience": "customer", "body": "Still on it."}
        )
        await eventually(
            lambda: _has(client, alice, incident_id, 5), what="two more reminders", within=60
        )
        resolved = {"resolution": "restored", "summary": "fixed"}
        await command(client, alice, incident_id, "resolve", resolved)
        events = await events_of(client, alice, incident_id)
        total = sum(e["type"] == REMINDER for e in events)
        await receiver.wait_for(lambda r: len(r.acked()) == total, what="every reminder sent")
        assert await events_of(client, alice, incident_id) == events, "none once resolved"

    assert events[-1]["type"] == "Resolved"
    declared = events[0]
    (update,) = [e for e in events if e["type"] == "UpdatePosted"]
    before, after = reminders_after(events, declared), reminders_after(events, update)
    assert len(before) >= 3
    assert len(after) >= 2
    assert_one_per_interval(before, declared)
    assert_one_per_interval(after, update)

    sent = [open_message(r, subscription["secret"]) for r in receiver.requests]
    assert {e.get_type() for e in sent} == {"dev.irm.incident.customer_update_overdue.v1"}
    missed = [e.get_data()["missed_intervals"] for e in sent]  # type: ignore[index]
    assert missed == [r["data"]["missed_intervals"] for r in before + after]


async def _has(client: httpx.AsyncClient, reader: Headers, incident_id: str, n: int) -> bool:
    return await count_reminders(client, reader, incident_id) >= n


async def test_a_restarted_notifier_records_the_intervals_missed_while_down_once_each(
    client: httpx.AsyncClient,
    alice: Headers,
    notifier: NotifierFactory,
) -> None:
    async with notifier(update_cadence=CADENCE):
        incident_id = await declare(client, alice, severity="P1")
        await eventually(lambda: _has(client, alice, incident_id, 1), what="the first reminder")
    stopped_with = await count_reminders(client, alice, incident_id)

    await asyncio.sleep(4 * INTERVAL.total_seconds())  # several intervals pass while it is down
    assert await count_reminders(client, alice, incident_id) == stopped_with, "it was down"

    declared_at = at((await events_of(client, alice, incident_id))[0]["occurred_at"])
    async with notifier(update_cadence=CADENCE):
        await eventually(
            lambda: _has(client, alice, incident_id, stopped_with + 4),
            what="the missed intervals",
        )
        # Let it run a few more scans: a repeat would show up now.
        await eventually(
            lambda: _has(client, alice, incident_id, stopped_with + 6), what="later reminders"
        )
    events = await events_of(client, alice, incident_id)
    reminders = reminders_after(events, events[0])
    assert_one_per_interval(reminders, events[0])
    due = [at(r["data"]["due_at"]) for r in reminders]
    assert len(set(due)) == len(due)
    missed_while_down = reminders[stopped_with : stopped_with + 4]
    assert [at(r["data"]["due_at"]) for r in missed_while_down] == [
        declared_at + n * INTERVAL for n in range(stopped_with + 1, stopped_with + 5)
    ]


async def test_two_notifiers_side_by_side_never_repeat_a_reminder(
    client: httpx.AsyncClient,
    alice: Headers,
    notifier: NotifierFactory,
) -> None:
    async with notifier(update_cadence=CADENCE), notifier(update_cadence=CADENCE):
        incidents = [await declare(client, alice, severity="P1") for _ in range(3)]
        for incident_id in incidents:
            await eventually(
                lambda i=incident_id: _has(client, alice, i, 4), what="four reminders each"
            )
    for incident_id in incidents:
        events = await events_of(client, alice, incident_id)
        assert_one_per_interval(reminders_after(events, events[0]), events[0])
