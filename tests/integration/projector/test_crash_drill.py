"""Crash drill: `irm projector` is killed with SIGKILL at random moments while events keep
arriving; once it has caught up, the read models are exactly a fold of the log."""

from __future__ import annotations

import asyncio
import random
import signal
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from services.projector.projector import PROJECTOR_NAME
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.tracking import tracked_position
from tests.e2e.conftest import wait_for_log_line
from tests.integration.projector.conftest import (
    ProjectorProcess,
    StoryWriter,
    assert_timeline_has_every_event_once,
    folded,
    projected,
    wait_for,
    wait_until_caught_up,
)

KILLS = 10
START_WITHIN_S = 30.0
STARTED_LINE = "projector starting after position"


@pytest.mark.slow
async def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    pool: asyncpg.Pool,
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    projector = ProjectorProcess(database_url, tmp_path / "projector.log")
    try:
        await _drill(projector, pool, store, repository, seed=seed, rng=rng)
    except BaseException:
        print(f"the projectors' log (seed {seed}):\n{projector.output()}")  # shown on failure
        raise
    finally:
        await projector.stop_if_running()


async def _drill(
    projector: ProjectorProcess,
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    *,
    seed: int,
    rng: random.Random,
) -> None:
    writer = StoryWriter(repository, seed=seed)
    await writer.write(50)
    stop = asyncio.Event()
    writing = asyncio.create_task(writer.keep_writing(stop, pause=0.004))
    try:
        for started in range(1, KILLS + 1):
            await projector.start()
            # Started means it logged where it starts from. A moved position alone is no proof:
            # the killed one's last COMMIT may reach the server after it died.
            await wait_for_log_line(
                projector.log_path, STARTED_LINE, times=started, within=START_WITHIN_S
            )
            before = await tracked_position(pool, PROJECTOR_NAME)
            await wait_for(
                partial(_moved_past, pool, before),
                within=START_WITHIN_S,
                what=f"the projector to move past {before} (seed {seed})",
            )
            # Somewhere in the middle of following: reading, applying, committing or waiting.
            await asyncio.sleep(rng.uniform(0, 0.25))
            assert await projector.kill() == -signal.SIGKILL
    finally:
        stop.set()
        await writing

    await projector.start()
    try:
        await wait_until_caught_up(pool, store)
        # The killed ones may have caught up already: be sure this one is past start-up (its
        # signal handlers installed) before asking it to stop.
        await wait_for_log_line(
            projector.log_path,
            STARTED_LINE,
            times=KILLS + 1,
            within=START_WITHIN_S,
        )
    finally:
        assert await projector.kill(signal.SIGTERM) == 0, projector.output()

    await assert_timeline_has_every_event_once(pool)
    expected = await folded(store, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert await projected(pool) == expected, f"seed {seed}"


async def _moved_past(pool: asyncpg.Pool, position: int) -> bool:
    return await tracked_position(pool, PROJECTOR_NAME) > position
