"""Rebuild every read model from the log into fresh tables, then switch over atomically.

Queries keep reading the live tables until the switch, which happens in one transaction that
holds the live projector's tracking row: the new tables catch up to the head of the log, replace
the old ones, and the tracked position moves to where the rebuild stopped. The live projector
then continues from there, so it is safe to rebuild while the API and the projector run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from uuid import UUID

import asyncpg

from services.projector.projector import PROJECTOR_NAME, apply_events
from shared.cadence import Cadence
from shared.eventstore.store import EventStore, RecordedEvent
from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS, TIMELINE, read_model_ddl
from shared.readmodels.follow_ups import FollowUpRow, follow_up_id_of, project_follow_up
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.tables import (
    FOLLOW_UP_COLUMNS,
    INCIDENT_COLUMNS,
    TIMELINE_COLUMNS,
    follow_up_record,
    incident_record,
    timeline_record,
)
from shared.readmodels.timeline import timeline_entry
from shared.tracking import lock_tracking, set_tracking

BUILD_SCHEMA: Final = "irm_rebuild"
_REBUILD_LOCK_KEY: Final = 0x1A_0002

Progress = Callable[[int, int], None]
"""Called with (position reached, head of the log when the rebuild started)."""


class RebuildRunningError(Exception):
    """Another rebuild holds the rebuild lock."""


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild did."""

    events: int
    incidents: int
    position: int


async def rebuild_read_models(
    pool: asyncpg.Pool,
    store: EventStore,
    cadence: Cadence,
    *,
    batch_size: int = 5_000,
    progress: Progress | None = None,
) -> RebuildResult:
    """Replay the whole log into fresh tables and swap them in; returns what was done."""
    async with pool.acquire() as lock_conn:
        if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", _REBUILD_LOCK_KEY):
            raise RebuildRunningError("another rebuild is running")
        try:
            return await _rebuild(pool, store, cadence, batch_size, progress)
        finally:
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", _REBUILD_LOCK_KEY)


async def _rebuild(
    pool: asyncpg.Pool,
    store: EventStore,
    cadence: Cadence,
    batch_size: int,
    progress: Progress | None,
) -> RebuildResult:
    await pool.execute(
        f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE; CREATE SCHEMA {BUILD_SCHEMA};"
        + read_model_ddl(BUILD_SCHEMA)
    )
    head = await store.max_position()
    rows: dict[UUID, IncidentRow] = {}
    follow_ups: dict[UUID, FollowUpRow | None] = {}
    position, events = 0, 0
    while True:
        batch = await store.read_log(after=position, limit=batch_size)
        if not batch:
            break
        await _fold_and_copy_timeline(pool, batch, rows, cadence)
        _fold_follow_ups(batch, follow_ups)
        position, events = batch[-1].position, events + len(batch)
        if progress is not None:
            progress(position, max(head, position))
        if len(batch) < batch_size:
            break
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            INCIDENTS,
            schema_name=BUILD_SCHEMA,
            columns=INCIDENT_COLUMNS,
            records=[incident_record(row) for row in rows.values()],
        )
        await conn.copy_records_to_table(
            FOLLOW_UPS,
            schema_name=BUILD_SCHEMA,
            columns=FOLLOW_UP_COLUMNS,
            records=[follow_up_record(row) for row in follow_ups.values() if row],
        )
        async with conn.transaction():
            position, caught_up = await _switch_over(conn, store, cadence, position, batch_size)
    await pool.execute(f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE")
    incidents = int(await pool.fetchval(f"SELECT count(*) FROM public.{INCIDENTS}"))
    return RebuildResult(events=events + caught_up, incidents=incidents, position=position)


async def _fold_and_copy_timeline(
    pool: asyncpg.Pool,
    batch: list[RecordedEvent],
    rows: dict[UUID, IncidentRow],
    cadence: Cadence,
) -> None:
    # Incident rows stay in memory until the end (one per incident); the timeline is copied
    # batch by batch, so memory stays bounded by the number of incidents, not of events.
    for recorded in batch:
        rows[recorded.originator_id] = project(rows.get(recorded.originator_id), recorded, cadence)
    await pool.copy_records_to_table(
        TIMELINE,
        schema_name=BUILD_SCHEMA,
        columns=TIMELINE_COLUMNS,
        records=[timeline_record(timeline_entry(e)) for e in batch],
    )


def _fold_follow_ups(batch: list[RecordedEvent], rows: dict[UUID, FollowUpRow | None]) -> None:
    for recorded in batch:
        follow_up_id = follow_up_id_of(recorded)
        if follow_up_id is not None:
            rows[follow_up_id] = project_follow_up(rows.get(follow_up_id), recorded)


async def _switch_over(
    conn: asyncpg.Connection,
    store: EventStore,
    cadence: Cadence,
    position: int,
    batch_size: int,
) -> tuple[int, int]:
    """Inside one transaction: hold the projector, catch up, swap tables, move tracking."""
    await lock_tracking(conn, PROJECTOR_NAME)
    caught_up = 0
    while True:
        batch = await store.read_log(after=position, limit=batch_size)
        if not batch:
            break
        await apply_events(conn, batch, cadence, schema=BUILD_SCHEMA)
        position, caught_up = batch[-1].position, caught_up + len(batch)
    live = f"public.{INCIDENTS}, public.{TIMELINE}, public.{FOLLOW_UPS}"
    # Recreating any live table someone dropped by hand keeps the swap below total.
    await conn.execute(
        read_model_ddl("public") + f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE;"
        f"DROP TABLE {live};"
        f"ALTER TABLE {BUILD_SCHEMA}.{INCIDENTS} SET SCHEMA public;"
        f"ALTER TABLE {BUILD_SCHEMA}.{TIMELINE} SET SCHEMA public;"
        f"ALTER TABLE {BUILD_SCHEMA}.{FOLLOW_UPS} SET SCHEMA public;"
    )
    await set_tracking(conn, PROJECTOR_NAME, position)
    return position, caught_up
