"""Following the log: catch up in batches, poll when no NOTIFY comes, survive a lost connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial

import asyncpg
import pytest_asyncio

from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore, RecordedEvent
from shared.subscription import LogFollower
from tests.integration.projector.conftest import (
    WHOLE_LOG,
    StoryWriter,
    append_silently,
    declare,
    post_internal,
    projected,
    wait_for,
    wait_until_caught_up,
)

WAIT_S = 20.0


class Collector:
    """Runs a follower in the background and keeps every batch it yields."""

    def __init__(self, follower: LogFollower, after: int) -> None:
        self.batches: list[list[RecordedEvent]] = []
        self._task = asyncio.create_task(self._collect(follower, after))

    async def _collect(self, follower: LogFollower, after: int) -> None:
        async for batch in follower.batches(after):
            self.batches.append(batch)

    @property
    def positions(self) -> list[int]:
        """Positions of every event yielded so far, in the order yielded."""
        return [r.position for batch in self.batches for r in batch]

    async def reaches(self, position: int) -> None:
        """Wait (bounded) until an event at `position` or later has been yielded."""

        async def reached() -> bool:
            if self._task.done():
                self._task.result()  # a follower that died says why
            return bool(self.positions) and self.positions[-1] >= position

        await wait_for(reached, within=WAIT_S, what=f"the follower at {position}")

    async def stop(self) -> None:
        """Stop following."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@pytest_asyncio.fixture(loop_scope="session")
async def collectors() -> AsyncIterator[list[Collector]]:
    """Collectors a test started; all are stopped at the end."""
    started: list[Collector] = []
    yield started
    for collector in started:
        await collector.stop()


async def log_positions(store: EventStore, after: int = 0) -> list[int]:
    """Positions of the stored events after `after`."""
    return [r.position for r in await store.read_log(after=after, limit=WHOLE_LOG)]


async def listener_pids(pool: asyncpg.Pool) -> list[int]:
    """Backends of this database whose last statement was a LISTEN."""
    rows = await pool.fetch(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN %' AND state = 'idle'"
    )
    return [int(r["pid"]) for r in rows]


async def test_it_catches_up_from_a_position_in_batches(
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    collectors: list[Collector],
) -> None:
    await StoryWriter(repository, seed=10).write(23)
    positions = await log_positions(store)
    start = positions[6]

    collector = Collector(LogFollower(database_url, store, batch_size=5), after=start)
    collectors.append(collector)
    await collector.reaches(positions[-1])

    assert collector.positions == positions[7:]
    assert [len(b) for b in collector.batches] == [5, 5, 5, 1]


async def test_it_keeps_following_new_events_as_they_are_appended(
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    collectors: list[Collector],
) -> None:
    collector = Collector(LogFollower(database_url, store, batch_size=4), after=0)
    collectors.append(collector)
    writer = StoryWriter(repository, seed=11)

    for _ in range(5):
        await collector.reaches(await writer.write(7))

    assert collector.positions == await log_positions(store)
    assert all(1 <= len(b) <= 4 for b in collector.batches)


async def test_without_any_notify_it_still_catches_up_by_polling(
    database_url: str, pool: asyncpg.Pool, store: EventStore, collectors: list[Collector]
) -> None:
    incident = declare(1)
    await store.append(incident.collect_events())
    collector = Collector(
        LogFollower(database_url, store, batch_size=10, idle_timeout=0.3), after=0
    )
    collectors.append(collector)
    await collector.reaches(await store.max_position())
    # Someone else listens too: the silent appends must really send nothing.
    witness = await asyncpg.connect(database_url)
    notifications: list[str] = []
    await witness.add_listener("irm_events", lambda *args: notifications.append(args[-1]))
    try:
        post_internal(incident, 3, prefix="silent")
        await append_silently(pool, store, incident)
        post_internal(incident, 25, prefix="silent again")
        last = await append_silently(pool, store, incident)

        await collector.reaches(last)
    finally:
        await witness.close()

    assert notifications == []
    assert collector.positions == await log_positions(store)


async def test_after_its_listen_connection_is_killed_it_reconnects_and_skips_nothing(
    database_url: str, pool: asyncpg.Pool, store: EventStore, collectors: list[Collector]
) -> None:
    incident = declare(1)
    await store.append(incident.collect_events())
    # Polling so slow that only NOTIFY on a new connection (or the re-read after reconnecting)
    # can deliver what follows in time.
    collector = Collector(
        LogFollower(database_url, store, batch_size=3, idle_timeout=600, reconnect_delay=0.1),
        after=0,
    )
    collectors.append(collector)
    await collector.reaches(await store.max_position())

    for round_ in range(3):
        await wait_for(
            lambda: _one_listener(pool), within=WAIT_S, what="the follower's LISTEN connection"
        )
        (listening,) = await listener_pids(pool)
        assert await pool.fetchval("SELECT pg_terminate_backend($1)", listening)
        # Appended while the follower has no connection: found by the re-read.
        post_internal(incident, 4, prefix=f"while away {round_}")
        await collector.reaches(await store.append(incident.collect_events()))
        # Appended after it is back: delivered by NOTIFY on the new connection.
        await wait_for(
            partial(_new_listener, pool, listening),
            within=WAIT_S,
            what="a new LISTEN connection",
        )
        post_internal(incident, 2, prefix=f"after {round_}")
        await collector.reaches(await store.append(incident.collect_events()))

    assert collector.positions == await log_positions(store)


async def _one_listener(pool: asyncpg.Pool) -> bool:
    return len(await listener_pids(pool)) == 1


async def _new_listener(pool: asyncpg.Pool, old: int) -> bool:
    pids = await listener_pids(pool)
    return len(pids) == 1 and pids[0] != old


async def test_the_projector_catches_up_without_notify_within_its_polling_interval(
    pool: asyncpg.Pool, store: EventStore, live_projector: None
) -> None:
    incident = declare(1)
    await store.append(incident.collect_events())
    await wait_until_caught_up(pool, store)

    post_internal(incident, 5, prefix="silent")
    await append_silently(pool, store, incident)
    await wait_until_caught_up(pool, store, within=WAIT_S)

    (row,), timeline, _ = await projected(pool)
    assert row.version == 6
    assert [e.version for e in timeline] == [1, 2, 3, 4, 5, 6]
