"""The live projector: each batch of events updates the read models and the tracked position
in one transaction, so a crash at any point loses nothing and applies nothing twice.

An event already in the log that cannot be projected never stops it: when a batch fails for a
reason that is about its events (`shared.tracking.parkable`), the batch is applied again one
event at a time, and each event that still fails is parked (recorded in `irm_parked_events`,
logged) and passed; the tracked position moves past it as past any other.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final
from uuid import UUID

import asyncpg

from shared.background import uninterrupted
from shared.domain.cadence import Cadence
from shared.eventstore.store import RecordedEvent
from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS, TIMELINE
from shared.readmodels.follow_ups import FollowUpRow, follow_up_id_of, project_follow_up
from shared.readmodels.incidents import IncidentRow, WorkingRow, fold_event, working_row
from shared.readmodels.tables import (
    FOLLOW_UP_COLUMNS,
    INCIDENT_COLUMNS,
    TIMELINE_COLUMNS,
    follow_up_from_record,
    follow_up_record,
    incident_from_record,
    incident_record,
    timeline_record,
    upsert_follow_ups_sql,
    upsert_incidents_sql,
)
from shared.readmodels.timeline import timeline_entry
from shared.subscription import LogFollower
from shared.tracking import lock_unhandled, park_event, parkable, set_tracking, tracked_position

log = logging.getLogger(__name__)

PROJECTOR_NAME: Final = "projector"


async def apply_events(
    conn: asyncpg.Connection,
    events: Sequence[RecordedEvent],
    cadence: Cadence,
    *,
    schema: str = "public",
) -> None:
    """Fold events into the read-model tables of `schema`, inside the caller's transaction."""
    if not events:
        return
    ids = list({e.originator_id for e in events})
    records = await conn.fetch(
        f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM {schema}.{INCIDENTS} "
        "WHERE id = any($1::uuid[])",
        ids,
    )
    rows: dict[UUID, WorkingRow] = {r["id"]: working_row(incident_from_record(r)) for r in records}
    for recorded in events:
        incident_id = recorded.originator_id
        rows[incident_id] = fold_event(rows.get(incident_id), recorded, cadence)
    await conn.executemany(
        upsert_incidents_sql(schema),
        [incident_record(IncidentRow(**rows[i])) for i in ids if i in rows],
    )
    await conn.copy_records_to_table(
        TIMELINE,
        schema_name=schema,
        columns=TIMELINE_COLUMNS,
        records=[timeline_record(timeline_entry(e)) for e in events],
    )
    await _apply_follow_up_events(conn, events, schema)


async def _apply_follow_up_events(
    conn: asyncpg.Connection, events: Sequence[RecordedEvent], schema: str
) -> None:
    about = [(follow_up_id_of(e), e) for e in events]
    relevant = [(i, e) for i, e in about if i is not None]
    if not relevant:
        return
    records = await conn.fetch(
        f"SELECT {', '.join(FOLLOW_UP_COLUMNS)} FROM {schema}.{FOLLOW_UPS} "
        "WHERE id = any($1::uuid[])",
        list({i for i, _ in relevant}),
    )
    rows: dict[UUID, FollowUpRow | None] = {r["id"]: follow_up_from_record(r) for r in records}
    for follow_up_id, recorded in relevant:
        rows[follow_up_id] = project_follow_up(rows.get(follow_up_id), recorded)
    await conn.executemany(
        upsert_follow_ups_sql(schema), [follow_up_record(r) for r in rows.values() if r]
    )


Refused = tuple[RecordedEvent, Exception]
"""An event that could not be projected, and why."""


async def apply_each_event(
    conn: asyncpg.Connection,
    events: Sequence[RecordedEvent],
    cadence: Cadence,
    *,
    schema: str = "public",
) -> list[Refused]:
    """Apply events one at a time, each in a savepoint of the caller's transaction; an event
    that fails for a reason about it (`parkable`) changes nothing and is returned, with its
    error, and the next one is applied. Any other failure is raised."""
    refused: list[Refused] = []
    for recorded in events:
        try:
            async with conn.transaction():
                await apply_events(conn, [recorded], cadence, schema=schema)
        except Exception as error:
            if not parkable(error):
                raise
            refused.append((recorded, error))
    return refused


async def apply_events_or_refuse(
    conn: asyncpg.Connection,
    events: Sequence[RecordedEvent],
    cadence: Cadence,
    *,
    schema: str = "public",
) -> list[Refused]:
    """`apply_events` in a savepoint; if that fails for a reason about the events, the events
    one at a time (`apply_each_event`). Returns the events that could not be applied."""
    try:
        async with conn.transaction():
            await apply_events(conn, events, cadence, schema=schema)
    except Exception as error:
        if not parkable(error):
            raise
        return await apply_each_event(conn, events, cadence, schema=schema)
    return []


def log_parked(name: str, refused: Sequence[Refused]) -> None:
    """Say, once the parking has committed, which events a follower parked and why."""
    for recorded, error in refused:
        log.error(
            "%s parked the event at position %s (%s, version %s of incident %s): %r",
            name,
            recorded.position,
            recorded.event.TOPIC,
            recorded.version,
            recorded.originator_id,
            error,
        )


class Projector:
    """Keeps the read models in step with the log."""

    def __init__(self, pool: asyncpg.Pool, cadence: Cadence, *, name: str = PROJECTOR_NAME):
        self._pool = pool
        self._cadence = cadence
        self._name = name

    async def position(self) -> int:
        """The last position applied to the read models."""
        return await tracked_position(self._pool, self._name)

    async def handle(self, batch: Sequence[RecordedEvent]) -> int:
        """Apply a batch exactly once and return the tracked position afterwards. Once
        started, a batch is finished even if the projector is being cancelled."""
        return await uninterrupted(self._apply(batch))

    async def _apply(self, batch: Sequence[RecordedEvent]) -> int:
        try:
            return await self._apply_batch(batch)
        except Exception as error:
            if not parkable(error):
                raise
            log.warning(
                "%s: a batch of %d events failed (%r); applying it one event at a time",
                self._name,
                len(batch),
                error,
            )
        return await self._apply_one_by_one(batch)

    async def _apply_batch(self, batch: Sequence[RecordedEvent]) -> int:
        # The normal case, and the fast one: no savepoints.
        async with self._pool.acquire() as conn, conn.transaction():
            tracked, fresh = await lock_unhandled(conn, self._name, batch)
            if not fresh:
                return tracked
            await apply_events(conn, fresh, self._cadence)
            await set_tracking(conn, self._name, fresh[-1].position)
            return fresh[-1].position

    async def _apply_one_by_one(self, batch: Sequence[RecordedEvent]) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            tracked, fresh = await lock_unhandled(conn, self._name, batch)
            if not fresh:
                return tracked
            refused = await apply_each_event(conn, fresh, self._cadence)
            for recorded, error in refused:
                await park_event(conn, self._name, recorded, error)
            await set_tracking(conn, self._name, fresh[-1].position)
        log_parked(self._name, refused)
        return fresh[-1].position

    async def run(self, follower: LogFollower) -> None:
        """Follow the log and apply every batch, until cancelled."""
        start = await self.position()
        log.info("projector starting after position %s", start)
        async for batch in follower.batches(start):
            tracked = await self.handle(batch)
            if tracked > batch[-1].position:
                # A rebuild switched over past this batch; continue from where it left off.
                follower.seek(tracked)
