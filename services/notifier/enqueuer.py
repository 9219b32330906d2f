"""Follow the log and queue deliveries: each batch queues its deliveries, updates the
notifier's incident facts and moves the tracked position in one transaction.

As in the projector, an event already in the log that cannot be handled never stops the
queueing: a batch that fails for a reason about its events (`shared.tracking.parkable`) is
handled again one event at a time, and an event that still fails is parked and passed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Final
from uuid import UUID

import asyncpg

from shared.background import uninterrupted
from shared.eventstore.store import RecordedEvent
from shared.readmodels.tables import storable
from shared.subscription import LogFollower
from shared.tracking import lock_unhandled, park_event, parkable, set_tracking, tracked_position
from shared.webhooks.deliveries import NewDelivery, deliveries_for, queue_deliveries
from shared.webhooks.facts import IncidentFacts, facts_after
from shared.webhooks.subscriptions import queueing_subscriptions

log = logging.getLogger(__name__)

NOTIFIER_NAME: Final = "notifier"

_FACT_COLUMNS: Final = (
    "id, number, title, severity, status, version, customer_contact_at, overdue_reminders"
)


class Enqueuer:
    """Turns each new event into deliveries for the subscriptions that want it."""

    def __init__(self, pool: asyncpg.Pool, *, wake: asyncio.Event) -> None:
        self._pool = pool
        self._wake = wake

    async def handle(self, batch: Sequence[RecordedEvent]) -> int:
        """Queue a batch exactly once; returns the tracked position afterwards. Once started,
        a batch is finished even if the notifier is being cancelled."""
        try:
            return await uninterrupted(self._queue(batch))
        except Exception as error:
            if not parkable(error):
                raise
            log.warning(
                "notifier: a batch of %d events failed (%r); queueing it one event at a time",
                len(batch),
                error,
            )
        return await uninterrupted(self._queue_one_by_one(batch))

    async def _queue(self, batch: Sequence[RecordedEvent]) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            tracked, fresh = await lock_unhandled(conn, NOTIFIER_NAME, batch)
            if not fresh:
                return tracked
            facts = await _load_facts(conn, {e.originator_id for e in fresh})
            subscriptions = await queueing_subscriptions(conn)
            queued: list[NewDelivery] = []
            for recorded in fresh:
                after = _facts_after(facts.get(recorded.originator_id), recorded)
                facts[recorded.originator_id] = after
                queued += deliveries_for(recorded, after, subscriptions, cause="live")
            await _store_facts(conn, facts)
            await queue_deliveries(conn, queued)
            await set_tracking(conn, NOTIFIER_NAME, fresh[-1].position)
        if queued:
            self._wake.set()
        return fresh[-1].position

    async def _queue_one_by_one(self, batch: Sequence[RecordedEvent]) -> int:
        """Each event in a savepoint: one that fails for a reason about it is parked."""
        parked: list[tuple[RecordedEvent, Exception]] = []
        queued = False
        async with self._pool.acquire() as conn, conn.transaction():
            tracked, fresh = await lock_unhandled(conn, NOTIFIER_NAME, batch)
            if not fresh:
                return tracked
            facts = await _load_facts(conn, {e.originator_id for e in fresh})
            subscriptions = await queueing_subscriptions(conn)
            for recorded in fresh:
                incident_id = recorded.originator_id
                try:
                    async with conn.transaction():
                        after = _facts_after(facts.get(incident_id), recorded)
                        deliveries = deliveries_for(recorded, after, subscriptions, cause="live")
                        await _store_facts(conn, {incident_id: after})
                        await queue_deliveries(conn, deliveries)
                except Exception as error:
                    if not parkable(error):
                        raise
                    await park_event(conn, NOTIFIER_NAME, recorded, error)
                    parked.append((recorded, error))
                    continue
                facts[incident_id] = after
                queued = queued or bool(deliveries)
            await set_tracking(conn, NOTIFIER_NAME, fresh[-1].position)
        for event, why in parked:
            log.error(
                "notifier parked the event at position %s (%s, version %s of incident %s): %r",
                event.position,
                event.event.TOPIC,
                event.version,
                event.originator_id,
                why,
            )
        if queued:
            self._wake.set()
        return fresh[-1].position

    async def run(self, follower: LogFollower) -> None:
        """Follow the log until cancelled."""
        start = await tracked_position(self._pool, NOTIFIER_NAME)
        log.info("notifier queueing after position %s", start)
        async for batch in follower.batches(start):
            tracked = await self.handle(batch)
            if tracked > batch[-1].position:
                follower.seek(tracked)


def _facts_after(facts: IncidentFacts | None, recorded: RecordedEvent) -> IncidentFacts:
    """The facts after one more event, with their text as the facts table keeps it
    (`storable`), so every message tells the same title whether its facts were just folded
    or read back."""
    after = facts_after(facts, recorded)
    title, severity = storable(after.title), storable(after.severity)
    if title is after.title and severity is after.severity:
        return after
    return dataclasses.replace(after, title=title, severity=severity)


async def _load_facts(conn: asyncpg.Connection, ids: set[UUID]) -> dict[UUID, IncidentFacts]:
    records = await conn.fetch(
        f"SELECT {_FACT_COLUMNS} FROM irm_notifier_incidents WHERE id = any($1::uuid[])",
        list(ids),
    )
    return {
        r["id"]: IncidentFacts(**{k: r[k] for k in r.keys() if k != "id"})  # noqa: SIM118
        for r in records
    }


async def _store_facts(conn: asyncpg.Connection, facts: dict[UUID, IncidentFacts]) -> None:
    await conn.executemany(
        f"""INSERT INTO irm_notifier_incidents ({_FACT_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, title = EXCLUDED.title,
              severity = EXCLUDED.severity, status = EXCLUDED.status,
              version = EXCLUDED.version, customer_contact_at = EXCLUDED.customer_contact_at,
              overdue_reminders = EXCLUDED.overdue_reminders""",
        [
            (
                incident_id,
                f.number,
                f.title,
                f.severity,
                f.status,
                f.version,
                f.customer_contact_at,
                f.overdue_reminders,
            )
            for incident_id, f in facts.items()
        ],
    )
