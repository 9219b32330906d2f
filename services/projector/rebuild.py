"""Rebuild every read model from the log into fresh tables, then switch over atomically.

Queries keep reading the live tables until the switch, which happens in one transaction that
holds the live projector's tracking row: the new tables catch up to the head of the log, replace
the old ones, and the tracked position moves to where the rebuild stopped. The live projector
then continues from there, so it is safe to rebuild while the API and the projector run.

An event the projector would park (one that cannot be projected) is passed the same way: the
rebuild leaves it out of every read model, and at the switch-over the projector's parked events
are replaced by the ones the rebuild passed, so a rebuild after a fix clears what it fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

import asyncpg

from services.projector.projector import (
    PROJECTOR_NAME,
    Refused,
    apply_events_or_refuse,
    log_parked,
)
from shared.domain.cadence import Cadence
from shared.eventstore.store import EventStore, RecordedEvent
from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS, TIMELINE, read_model_ddl
from shared.readmodels.follow_ups import FollowUpRow, follow_up_id_of, project_follow_up
from shared.readmodels.incidents import IncidentRow, WorkingRow, fold_event
from shared.readmodels.tables import (
    FOLLOW_UP_COLUMNS,
    INCIDENT_COLUMNS,
    TIMELINE_COLUMNS,
    follow_up_record,
    incident_record,
    timeline_record,
)
from shared.readmodels.timeline import timeline_entry
from shared.tracking import PARKED_EVENTS, lock_tracking, park_event, parkable, set_tracking

BUILD_SCHEMA: Final = "irm_rebuild"
_REBUILD_LOCK_KEY: Final = 0x1A_0002

Record = tuple[Any, ...]
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
    parked: int = 0
    """Events left out because they cannot be projected (now the projector's parked events)."""


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

    def reached(position: int) -> None:
        if progress is not None:
            progress(position, max(head, position))

    replay = await _replay(pool, store, cadence, batch_size, reached)
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            INCIDENTS,
            schema_name=BUILD_SCHEMA,
            columns=INCIDENT_COLUMNS,
            records=[incident_record(IncidentRow(**row)) for row in replay.incidents.values()],
        )
        await conn.copy_records_to_table(
            FOLLOW_UPS,
            schema_name=BUILD_SCHEMA,
            columns=FOLLOW_UP_COLUMNS,
            records=[follow_up_record(row) for row in replay.follow_ups.values() if row],
        )
        async with conn.transaction():
            position, caught_up = await _switch_over(
                conn, store, cadence, replay.position, batch_size, replay.parked
            )
    log_parked("rebuild", replay.parked)
    await pool.execute(f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE")
    incidents = int(await pool.fetchval(f"SELECT count(*) FROM public.{INCIDENTS}"))
    return RebuildResult(
        events=replay.events + caught_up,
        incidents=incidents,
        position=position,
        parked=len(replay.parked),
    )


@dataclass(slots=True)
class _Replay:
    """What a replay of the log has folded so far."""

    # Working rows, not frozen ones: each is frozen once, when it is copied.
    incidents: dict[UUID, WorkingRow] = field(default_factory=dict)
    follow_ups: dict[UUID, FollowUpRow | None] = field(default_factory=dict)
    position: int = 0
    events: int = 0
    parked: list[Refused] = field(default_factory=list)


async def _replay(
    pool: asyncpg.Pool,
    store: EventStore,
    cadence: Cadence,
    batch_size: int,
    reached: Callable[[int], None],
) -> _Replay:
    """Fold the whole log into memory, copying the timeline into the build schema batch by
    batch, so memory stays bounded by the number of incidents, not of events."""
    replay = _Replay()
    while True:
        batch = await store.read_log(after=replay.position, limit=batch_size)
        if not batch:
            break
        replay.position, replay.events = batch[-1].position, replay.events + len(batch)
        await _copy_timeline(pool, _fold(batch, replay, cadence))
        reached(replay.position)
        if len(batch) < batch_size:
            break
    return replay


def _fold(batch: list[RecordedEvent], replay: _Replay, cadence: Cadence) -> list[Record]:
    """Fold a batch into the replay; returns its timeline records.

    Each event is all or nothing, as in the live projector: an event that cannot be projected
    leaves the rows as they were and has no timeline record; it is added to `replay.parked`.
    """
    incidents, follow_ups = replay.incidents, replay.follow_ups
    records: list[Record] = []
    for recorded in batch:
        incident_id = recorded.originator_id
        row = incidents.get(incident_id)
        # fold_event changes the row in place; a shallow copy restores it (its lists and dicts
        # are replaced, never changed) if the event turns out not to fold.
        before = None if row is None else row.copy()
        try:
            record = timeline_record(timeline_entry(recorded))
            follow_up_id = follow_up_id_of(recorded)
            follow_up = (
                None
                if follow_up_id is None
                else project_follow_up(follow_ups.get(follow_up_id), recorded)
            )
            incidents[incident_id] = fold_event(row, recorded, cadence)
        except Exception as error:
            if not parkable(error):
                raise
            if before is not None:
                incidents[incident_id] = before
            replay.parked.append((recorded, error))
            continue
        if follow_up_id is not None:
            follow_ups[follow_up_id] = follow_up
        records.append(record)
    return records


async def _copy_timeline(pool: asyncpg.Pool, records: list[Record]) -> None:
    await pool.copy_records_to_table(
        TIMELINE, schema_name=BUILD_SCHEMA, columns=TIMELINE_COLUMNS, records=records
    )


async def _switch_over(
    conn: asyncpg.Connection,
    store: EventStore,
    cadence: Cadence,
    position: int,
    batch_size: int,
    parked: list[Refused],
) -> tuple[int, int]:
    """Inside one transaction: hold the projector, catch up, swap tables, move tracking, and
    replace the projector's parked events by the ones the rebuild passed (`parked`, to which
    the catch-up adds its own)."""
    await lock_tracking(conn, PROJECTOR_NAME)
    caught_up = 0
    while True:
        batch = await store.read_log(after=position, limit=batch_size)
        if not batch:
            break
        parked += await apply_events_or_refuse(conn, batch, cadence, schema=BUILD_SCHEMA)
        position, caught_up = batch[-1].position, caught_up + len(batch)
    await conn.execute(f"DELETE FROM {PARKED_EVENTS} WHERE follower = $1", PROJECTOR_NAME)
    for recorded, error in parked:
        await park_event(conn, PROJECTOR_NAME, recorded, error)
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
