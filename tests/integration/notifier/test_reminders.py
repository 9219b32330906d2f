"""Overdue customer updates, with the cadence shrunk to seconds: one CustomerUpdateOverdue per
missed interval, none before the next interval after a customer update, the clock started at
the first classification, and after a restart (or beside a second notifier) none missed, none
repeated and never a burst: intervals missed while down make one reminder that counts them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import partial
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
    """Each reminder due a whole number of intervals (the missed ones) after the contact, later
    ones counting more, none early, none repeated; each names alice (owner, acting IC and the
    one who owes the update, as there is no communications lead) as the person to chase.

    A scan that runs late by more than an interval records one reminder for both intervals,
    so the count may step by more than one, never stand still."""
    contact_at = at(contact["occurred_at"])
    missed = [r["data"]["missed_intervals"] for r in reminders]
    assert missed == sorted(set(missed)), "counts only grow"
    assert not missed or missed[0] >= 1
    for reminder in reminders:
        due = at(reminder["data"]["due_at"])
        assert due == contact_at + reminder["data"]["missed_intervals"] * INTERVAL
        assert at(reminder["data"]["last_customer_contact_at"]) == contact_at
        assert at(reminder["occurred_at"]) >= due, "never before it is due"
        assert reminder["actor"] == "system"
        assert reminder["data"]["severity"] == "P1"
        assert reminder["data"]["update_owner"] == "alice"
        assert reminder["data"]["incident_commander"] == "alice"


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
    missed: list[int] = []
    for e in sent:
        data = e.get_data()
        assert isinstance(data, dict)
        missed.append(data["missed_intervals"])
        assert (data["update_owner"], data["incident_commander"]) == ("alice", "alice")
    assert missed == [r["data"]["missed_intervals"] for r in before + after]


async def _has(client: httpx.AsyncClient, reader: Headers, incident_id: str, n: int) -> bool:
    return await count_reminders(client, reader, incident_id) >= n


async def test_a_restarted_notifier_records_the_intervals_missed_while_down_in_one_reminder(
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

    async with notifier(update_cadence=CADENCE):
        await eventually(
            lambda: _has(client, alice, incident_id, stopped_with + 2), what="later reminders"
        )
    events = await events_of(client, alice, incident_id)
    reminders = reminders_after(events, events[0])
    assert_one_per_interval(reminders, events[0])
    before, after = reminders[stopped_with - 1], reminders[stopped_with]
    missed_while_down = after["data"]["missed_intervals"] - before["data"]["missed_intervals"]
    assert missed_while_down >= 4, "one reminder for every interval missed while it was down"


async def test_the_clock_starts_at_the_first_classification(
    client: httpx.AsyncClient,
    alice: Headers,
    notifier: NotifierFactory,
) -> None:
    async with notifier(update_cadence=CADENCE):
        incident_id = await declare(client, alice, severity=None)
        await asyncio.sleep(3 * INTERVAL.total_seconds())  # unclassified: no cadence yet
        assert await count_reminders(client, alice, incident_id) == 0
        await command(client, alice, incident_id, "severity", {"severity": "P1", "reason": "EU"})
        await eventually(lambda: _has(client, alice, incident_id, 1), what="the first reminder")
    events = await events_of(client, alice, incident_id)
    (classified,) = [e for e in events if e["type"] == "SeverityChanged"]
    reminders = reminders_after(events, classified)
    # Counted from the classification (last_customer_contact_at and due_at), not the
    # declaration three intervals earlier.
    assert_one_per_interval(reminders, classified)
    assert reminders == reminders_after(events, events[0])


async def test_two_notifiers_side_by_side_never_repeat_a_reminder(
    client: httpx.AsyncClient,
    alice: Headers,
    notifier: NotifierFactory,
) -> None:
    async with notifier(update_cadence=CADENCE), notifier(update_cadence=CADENCE):
        incidents = [await declare(client, alice, severity="P1") for _ in range(3)]
        for incident_id in incidents:
            await eventually(
                partial(_has, client, alice, incident_id, 4), what="four reminders each"
            )
    for incident_id in incidents:
        events = await events_of(client, alice, incident_id)
        assert_one_per_interval(reminders_after(events, events[0]), events[0])
