"""Follow the log for paging: when each incident's next paging step is due, and the pages (and
handover notices) to deliver. Each batch updates `irm_paging`, queues `irm_pages` and moves the
tracked position (`notifier paging`) in one transaction, so a notifier killed at any point
resumes where the log says: no page queued twice, none lost.

The follower only says *when* to look again; what happens then is decided by the incident
itself (`services.notifier.pager`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Final

import asyncpg

from shared.background import uninterrupted
from shared.domain import events as ev
from shared.eventstore.store import RecordedEvent
from shared.subscription import LogFollower
from shared.tracking import lock_unhandled, set_tracking, tracked_position

log = logging.getLogger(__name__)

PAGING_NAME: Final = "notifier paging"

_STOPS: Final = (ev.Acknowledged, ev.PagingExhausted, ev.Resolved, ev.Closed)


class PagingFollower:
    """Keeps `irm_paging` and `irm_pages` as the log says, exactly once per event."""

    def __init__(
        self, pool: asyncpg.Pool, *, wake_pager: asyncio.Event, wake_sender: asyncio.Event
    ):
        self._pool = pool
        self._wake_pager = wake_pager
        self._wake_sender = wake_sender

    async def handle(self, batch: Sequence[RecordedEvent]) -> int:
        """Handle a batch exactly once; returns the tracked position afterwards."""
        return await uninterrupted(self._handle(batch))

    async def _handle(self, batch: Sequence[RecordedEvent]) -> int:
        due = pages = False
        async with self._pool.acquire() as conn, conn.transaction():
            tracked, fresh = await lock_unhandled(conn, PAGING_NAME, batch)
            if not fresh:
                return tracked
            for recorded in fresh:
                changed, paged = await _follow(conn, recorded)
                due, pages = due or changed, pages or paged
            await set_tracking(conn, PAGING_NAME, fresh[-1].position)
        if due:
            self._wake_pager.set()
        if pages:
            self._wake_sender.set()
        return fresh[-1].position

    async def run(self, follower: LogFollower) -> None:
        """Follow the log until cancelled."""
        start = await tracked_position(self._pool, PAGING_NAME)
        log.info("notifier paging after position %s", start)
        async for batch in follower.batches(start):
            tracked = await self.handle(batch)
            if tracked > batch[-1].position:
                follower.seek(tracked)


async def _follow(conn: asyncpg.Connection, recorded: RecordedEvent) -> tuple[bool, bool]:
    """One event: whether the next paging step moved, and whether pages were queued."""
    event, incident_id = recorded.event, recorded.originator_id
    match event:
        case ev.Declared():
            if not event.services:
                return False, False
            await conn.execute(
                "INSERT INTO irm_paging (incident_id, number, title, due_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id) DO NOTHING",
                incident_id,
                event.number,
                event.title,
                event.timestamp,
            )
            return True, False
        case ev.Paged():
            await conn.execute(
                "UPDATE irm_paging SET due_at = $2 WHERE incident_id = $1",
                incident_id,
                event.timestamp + timedelta(seconds=event.timeout_seconds),
            )
            queued = await conn.fetchval(
                "WITH queued AS (INSERT INTO irm_pages (incident_id, version, method_id, person, "
                "level, reason, paged_at, next_attempt_at) "
                "SELECT $1, $2, id, handle, $4, $5, $6, $6 FROM irm_contact_methods "
                "WHERE handle = $3 ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM queued",
                incident_id,
                recorded.version,
                event.person,
                event.level,
                event.reason,
                event.timestamp,
            )
            if not queued:
                log.warning(
                    "%s was paged for %s but has no contact method", event.person, incident_id
                )
            return True, bool(queued)
        case ev.HandoverDue():
            text = (
                f"{event.role} passes from {event.from_person} to {event.to_person}: "
                f"the shift changed at {event.shift_start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            )
            queued = await conn.fetchval(
                "WITH queued AS (INSERT INTO irm_pages (incident_id, version, method_id, person, "
                "level, reason, paged_at, next_attempt_at, kind) "
                "SELECT $1, $2, id, handle, 0, $4, $5, $5, 'handover' FROM irm_contact_methods "
                "WHERE handle = ANY($3::text[]) ON CONFLICT DO NOTHING RETURNING 1) "
                "SELECT count(*) FROM queued",
                incident_id,
                recorded.version,
                [event.from_person, event.to_person],
                text,
                event.timestamp,
            )
            return False, bool(queued)
        case ev.DetailsEdited() if "title" in event.after:
            await conn.execute(
                "UPDATE irm_paging SET title = $2 WHERE incident_id = $1",
                incident_id,
                event.after["title"],
            )
            return False, False
        case ev.Reopened():
            # Paging cut short by the resolution goes on, if the incident says so.
            status = await conn.execute(
                "UPDATE irm_paging SET due_at = $2 WHERE incident_id = $1",
                incident_id,
                event.timestamp,
            )
            return status != "UPDATE 0", False
        case _ if isinstance(event, _STOPS):
            await conn.execute(
                "UPDATE irm_paging SET due_at = NULL WHERE incident_id = $1", incident_id
            )
            return False, False
        case _:
            return False, False
