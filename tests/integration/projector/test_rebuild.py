"""Rebuilding the read models from the log gives exactly what the live projector built, even
while the projector runs and events keep arriving; queries never see a half-built view."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.projector.rebuild import (
    _REBUILD_LOCK_KEY,
    RebuildRunningError,
    rebuild_read_models,
)
from services.projector.settings import ProjectorSettings
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import (
    StoryWriter,
    assert_timeline_has_every_event_once,
    folded,
    projected,
    table_rows,
    wait_until_caught_up,
)


async def test_a_rebuild_equals_what_the_live_projector_built(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
    live_projector: None,
) -> None:
    writer = StoryWriter(repository, seed=20)
    await writer.write(500)
    head = await wait_until_caught_up(pool, store)
    live = await table_rows(pool)
    reached: list[tuple[int, int]] = []

    result = await rebuild_read_models(
        pool,
        store,
        projector_settings.cadence(),
        batch_size=64,
        progress=lambda position, total: reached.append((position, total)),
    )

    assert await table_rows(pool) == live
    incidents, timeline, _ = live
    assert (result.events, result.incidents, result.position) == (500, len(incidents), head)
    assert len(timeline) == 500
    positions = [position for position, _ in reached]
    assert positions == sorted(positions)
    assert positions[-1] == head
    assert len(reached) == 500 // 64 + 1


async def test_a_rebuild_of_an_empty_log_leaves_empty_read_models(
    pool: asyncpg.Pool, store: EventStore, projector_settings: ProjectorSettings
) -> None:
    result = await rebuild_read_models(pool, store, projector_settings.cadence())

    assert (result.events, result.incidents, result.position) == (0, 0, 0)
    assert await table_rows(pool) == ([], [], [])


async def test_a_rebuild_repairs_read_models_that_were_tampered_with(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
    live_projector: None,
) -> None:
    await StoryWriter(repository, seed=21).write(80)
    await wait_until_caught_up(pool, store)
    await pool.execute("UPDATE rm_incidents SET title = 'wrong'")
    await pool.execute("DELETE FROM rm_timeline WHERE version > 1")

    await rebuild_read_models(pool, store, projector_settings.cadence())

    assert await projected(pool) == await folded(store, projector_settings.cadence())


async def test_a_rebuild_while_the_projector_runs_and_events_keep_arriving(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
    live_projector: None,
) -> None:
    cadence = projector_settings.cadence()
    writer = StoryWriter(repository, seed=22)
    await writer.write(200)
    await wait_until_caught_up(pool, store)
    stop = asyncio.Event()
    seen: list[tuple[int, int]] = []

    async def watch_queries() -> None:
        # What a dashboard sees: the read models only ever grow, and never go missing.
        while not stop.is_set():
            seen.append(
                (
                    await pool.fetchval("SELECT count(*) FROM rm_incidents"),
                    await pool.fetchval("SELECT count(*) FROM rm_timeline"),
                )
            )
            await asyncio.sleep(0.005)

    writing = asyncio.create_task(writer.keep_writing(stop, pause=0.002))
    watching = asyncio.create_task(watch_queries())
    try:
        for _ in range(3):
            await rebuild_read_models(pool, store, cadence, batch_size=40)
    finally:
        stop.set()
        await asyncio.gather(writing, watching)

    await wait_until_caught_up(pool, store)
    await assert_timeline_has_every_event_once(pool)
    assert await projected(pool) == await folded(store, cadence)
    live = await table_rows(pool)
    await rebuild_read_models(pool, store, cadence)
    assert await table_rows(pool) == live
    assert writer.appends > 200, "nothing was written during the rebuilds"
    incident_counts, timeline_counts = [i for i, _ in seen], [t for _, t in seen]
    assert incident_counts == sorted(incident_counts)
    assert timeline_counts == sorted(timeline_counts)
    assert timeline_counts[0] >= 200


async def test_only_one_rebuild_runs_at_a_time(
    pool: asyncpg.Pool, store: EventStore, projector_settings: ProjectorSettings
) -> None:
    async with pool.acquire() as other:
        await other.execute("SELECT pg_advisory_lock($1)", _REBUILD_LOCK_KEY)
        try:
            with pytest.raises(RebuildRunningError):
                await rebuild_read_models(pool, store, projector_settings.cadence())
        finally:
            await other.execute("SELECT pg_advisory_unlock($1)", _REBUILD_LOCK_KEY)

    await rebuild_read_models(pool, store, projector_settings.cadence())
