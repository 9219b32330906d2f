"""Crash drill: `irm projector` is killed with SIGKILL at random moments while events keep
arriving; once it has caught up, the read models are exactly a fold of the log."""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import asyncpg
import pytest

from services.projector.projector import PROJECTOR_NAME
from shared.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.tracking import tracked_position
from tests.e2e.conftest import IRM, irm_env, wait_for_log_line
from tests.integration.projector.conftest import (
    StoryWriter,
    assert_timeline_has_every_event_once,
    folded,
    projected,
    wait_for,
    wait_until_caught_up,
)

KILLS = 10
START_WITHIN_S = 30.0


class ProjectorProcess:
    """`irm projector` as a real process on the test's database, with default settings."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self._env = irm_env(IRM_DATABASE_URL=database_url)
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start a new process; what it writes to stderr is appended to the log file."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                IRM, "projector", env=self._env, stdout=asyncio.subprocess.DEVNULL, stderr=log
            )

    def output(self) -> str:
        """Everything the processes wrote so far."""
        return self.log_path.read_text(errors="replace")

    async def kill(self, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send `sig` and wait for the process to end; returns its exit code."""
        assert self.process is not None
        assert self.process.returncode is None, f"the projector died on its own:\n{self.output()}"
        self.process.send_signal(sig)
        return await self.process.wait()

    async def stop_if_running(self) -> None:
        """Kill the process if a failed assertion left it running, so it outlives no test."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


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
        for _ in range(KILLS):
            before = await tracked_position(pool, PROJECTOR_NAME)
            await projector.start()
            await wait_for(
                lambda before=before: _moved_past(pool, before),
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
            "projector starting after position",
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
