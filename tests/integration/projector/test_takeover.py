"""Active and standby: of two `irm projector` processes on one database, one follows the log and
the other waits; when the active one is killed (SIGKILL), the standby takes over within 5 s and
the read models end up exactly a fold of the log."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import asyncpg
import pytest

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import (
    ProjectorProcess,
    StoryWriter,
    assert_timeline_has_every_event_once,
    folded,
    projected,
    wait_until_caught_up,
)

ACTIVE = "projector active"
STANDBY = "projector standby"
TAKEOVER_WITHIN_S = 5.0
START_WITHIN_S = 60.0

pytestmark = pytest.mark.slow


async def first_to_log(
    replicas: list[ProjectorProcess], line: str, *, within: float
) -> ProjectorProcess:
    """The first replica whose log has `line`; fails the test after `within` seconds."""
    give_up = time.monotonic() + within
    while time.monotonic() < give_up:
        for replica in replicas:
            if line in replica.output():
                return replica
        await asyncio.sleep(0.02)
    logs = "\n".join(replica.output() for replica in replicas)
    pytest.fail(f"no replica logged {line!r} within {within} s:\n{logs}")


async def started_active_and_standby(
    replicas: list[ProjectorProcess],
) -> tuple[ProjectorProcess, ProjectorProcess]:
    """Start both replicas; returns the one that became active and the one on standby."""
    for replica in replicas:
        await replica.start()
    active = await first_to_log(replicas, ACTIVE, within=START_WITHIN_S)
    (standby,) = [r for r in replicas if r is not active]
    await first_to_log([standby], STANDBY, within=START_WITHIN_S)
    return active, standby


async def test_a_standby_takes_over_within_5_s_of_the_active_one_being_killed(
    pool: asyncpg.Pool,
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    tmp_path: Path,
) -> None:
    writer = StoryWriter(repository, seed=14)
    await writer.write(30)
    replicas = [ProjectorProcess(database_url, tmp_path / f"projector-{n}.log") for n in (1, 2)]
    try:
        active, standby = await started_active_and_standby(replicas)
        await wait_until_caught_up(pool, store)
        assert ACTIVE not in standby.output(), "both replicas were active at once"

        stop = asyncio.Event()
        writing = asyncio.create_task(writer.keep_writing(stop, pause=0.005))
        await asyncio.sleep(0.3)
        killed_at = time.monotonic()
        assert await active.stop(signal.SIGKILL) == -signal.SIGKILL
        await first_to_log([standby], ACTIVE, within=TAKEOVER_WITHIN_S + 1)
        took = time.monotonic() - killed_at
        stop.set()
        await writing

        print(f"the standby took over {took:.2f} s after the active projector was killed")
        assert took <= TAKEOVER_WITHIN_S
        await wait_until_caught_up(pool, store)
        cadence = parse_cadence(DEFAULT_UPDATE_CADENCE)
        assert await projected(pool) == await folded(store, cadence)
        await assert_timeline_has_every_event_once(pool)
        assert await standby.stop(signal.SIGTERM) == 0
    except BaseException:
        for replica in replicas:
            print(f"--- {replica.log_path.name}\n{replica.output()}")
        raise
    finally:
        for replica in replicas:
            await replica.stop_if_running()


async def test_an_active_replica_whose_lock_session_ends_stops_and_one_takes_over(
    pool: asyncpg.Pool,
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    tmp_path: Path,
) -> None:
    writer = StoryWriter(repository, seed=15)
    await writer.write(20)
    replicas = [ProjectorProcess(database_url, tmp_path / f"projector-{n}.log") for n in (1, 2)]
    try:
        active, _ = await started_active_and_standby(replicas)

        # A lost connection, as a network cut or a failover of the database ends it.
        ended = await pool.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'irm-projector-lock' AND datname = current_database()"
            " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
        )
        assert ended == 1
        ended_at = time.monotonic()
        give_up = ended_at + TAKEOVER_WITHIN_S
        while sum(r.output().count(ACTIVE) for r in replicas) < 2:
            assert time.monotonic() < give_up, "no replica became active again within 5 s"
            await asyncio.sleep(0.02)
        # The old active one notices within a second and stops; the tracking row's lock keeps
        # each event applied once even while it finishes a batch.
        await first_to_log([active], "projector lost its lock", within=2)

        more = await writer.write(10)
        assert await wait_until_caught_up(pool, store) >= more
        for replica in replicas:
            assert await replica.stop(signal.SIGTERM) == 0
    except BaseException:
        for replica in replicas:
            print(f"--- {replica.log_path.name}\n{replica.output()}")
        raise
    finally:
        for replica in replicas:
            await replica.stop_if_running()
