"""`irm projector rebuild` beside two `irm projector` processes, one active and one on standby,
while events keep arriving: the blue/green swap lands, the standby stays on standby and keeps
no lock the swap waits on, and when the active one is then killed the standby takes over from
the position the swap left and the read models stay exactly a fold of the log."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import pytest

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.e2e.conftest import IRM, irm_env
from tests.integration.projector.conftest import (
    ProjectorProcess,
    StoryWriter,
    assert_timeline_has_every_event_once,
    folded,
    projected,
    wait_until_caught_up,
)
from tests.integration.projector.test_takeover import (
    ACTIVE,
    TAKEOVER_WITHIN_S,
    first_to_log,
    started_active_and_standby,
)

pytestmark = pytest.mark.slow

REBUILD_WITHIN_S = 120.0


async def rebuild(database_url: str, log_path: Path) -> tuple[int, str]:
    """Run `irm projector rebuild` to its end; returns its exit code and what it printed."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            IRM,
            "projector",
            "rebuild",
            "--batch-size",
            "50",
            env=irm_env(IRM_DATABASE_URL=database_url),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        code = await asyncio.wait_for(process.wait(), timeout=REBUILD_WITHIN_S)
    return code, await asyncio.to_thread(log_path.read_text, errors="replace")


async def test_a_rebuild_swaps_in_while_a_standby_projector_waits(
    pool: asyncpg.Pool,
    database_url: str,
    store: EventStore,
    repository: IncidentRepository,
    tmp_path: Path,
) -> None:
    writer = StoryWriter(repository, seed=41)
    await writer.write(300)
    replicas = [ProjectorProcess(database_url, tmp_path / f"projector-{n}.log") for n in (1, 2)]
    stop = asyncio.Event()
    writing: asyncio.Task[int] | None = None
    try:
        active, standby = await started_active_and_standby(replicas)
        await wait_until_caught_up(pool, store)
        # Tamper with a read model: only the swap can put it right again.
        await pool.execute("UPDATE rm_incidents SET title = 'tampered'")
        writing = asyncio.create_task(writer.keep_writing(stop, pause=0.01))

        code, printed = await rebuild(database_url, tmp_path / "rebuild.out")
        assert code == 0, printed
        assert "Rebuilt" in printed
        stop.set()
        await writing
        await wait_until_caught_up(pool, store)
        cadence = parse_cadence(DEFAULT_UPDATE_CADENCE)
        assert await projected(pool) == await folded(store, cadence)
        await assert_timeline_has_every_event_once(pool)
        assert ACTIVE not in standby.output(), "the standby stayed on standby"

        # The standby continues from where the swap and the active one left the tracking row.
        assert await active.stop(signal.SIGKILL) == -signal.SIGKILL
        await first_to_log([standby], ACTIVE, within=TAKEOVER_WITHIN_S + 1)
        more = await writer.write(40)
        assert await wait_until_caught_up(pool, store) >= more
        assert await projected(pool) == await folded(store, cadence)
        await assert_timeline_has_every_event_once(pool)
        assert await standby.stop(signal.SIGTERM) == 0
    except BaseException:
        for replica in replicas:
            print(f"--- {replica.log_path.name}\n{replica.output()}")
        raise
    finally:
        stop.set()
        if writing is not None and not writing.done():
            writing.cancel()
        for replica in replicas:
            await replica.stop_if_running()
