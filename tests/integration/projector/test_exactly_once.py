"""Each event changes the read models exactly once, however batches repeat or overlap."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore, RecordedEvent
from shared.subscription import LogFollower
from shared.tracking import tracked_position
from tests.integration.projector.conftest import (
    WHOLE_LOG,
    StoryWriter,
    assert_timeline_has_every_event_once,
    folded,
    projected,
    table_rows,
    wait_until_caught_up,
)


def chunks(events: Sequence[RecordedEvent], size: int) -> list[list[RecordedEvent]]:
    """The log cut into consecutive batches of `size`, as one follower would read it."""
    return [list(events[i : i + size]) for i in range(0, len(events), size)]


async def test_handling_the_same_batch_twice_changes_nothing(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
) -> None:
    await StoryWriter(repository, seed=1).write(60)
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    projector = Projector(pool, projector_settings.cadence())

    assert await projector.handle(log) == log[-1].position
    once = await table_rows(pool)
    assert await projector.handle(log) == log[-1].position
    assert await projector.handle(log[: len(log) // 2]) == log[-1].position

    assert await table_rows(pool) == once
    assert await projected(pool) == await folded(store, projector_settings.cadence())
    assert await tracked_position(pool, "projector") == log[-1].position


async def test_a_batch_that_overlaps_the_tracked_position_applies_only_its_new_part(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
) -> None:
    await StoryWriter(repository, seed=2).write(50)
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    projector = Projector(pool, projector_settings.cadence())

    await projector.handle(log[:30])
    await projector.handle(log[10:40])
    await projector.handle(log[25:])

    await assert_timeline_has_every_event_once(pool)
    assert await projected(pool) == await folded(store, projector_settings.cadence())


async def test_two_projectors_with_overlapping_batches_apply_each_event_once(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
) -> None:
    await StoryWriter(repository, seed=3).write(300)
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    cadence = projector_settings.cadence()

    async def follow(projector: Projector, batch_size: int) -> None:
        # Each instance reads the log in its own batches, as its own follower would.
        for batch in chunks(log, batch_size):
            await projector.handle(batch)
            await asyncio.sleep(0)

    await asyncio.gather(
        follow(Projector(pool, cadence), 7),
        follow(Projector(pool, cadence), 13),
        follow(Projector(pool, cadence), 50),
    )

    await assert_timeline_has_every_event_once(pool)
    assert await projected(pool) == await folded(store, cadence)


async def test_two_live_projectors_keep_one_copy_of_each_event_while_the_log_grows(
    pool: asyncpg.Pool,
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
) -> None:
    cadence = projector_settings.cadence()
    runs = [
        asyncio.create_task(
            Projector(pool, cadence).run(
                LogFollower(database_url, store, batch_size=size, idle_timeout=0.2)
            )
        )
        for size in (5, 17)
    ]
    try:
        await StoryWriter(repository, seed=4).write(300)
        await wait_until_caught_up(pool, store)
    finally:
        for run in runs:
            run.cancel()
        await asyncio.gather(*runs, return_exceptions=True)

    await assert_timeline_has_every_event_once(pool)
    assert await projected(pool) == await folded(store, cadence)
