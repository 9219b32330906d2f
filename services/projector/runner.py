"""Running the projector: as its own process (`irm projector`) or beside the API (`irm serve`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from shared.database import Database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore
from shared.subscription import LogFollower

log = logging.getLogger(__name__)


async def run_projector(database: Database, settings: ProjectorSettings) -> None:
    """Follow the log and keep the read models, until cancelled; restarts after failures."""
    store = EventStore(database.pool, build_mapper(), lock_timeout_ms=settings.lock_timeout_ms)
    projector = Projector(database.pool, settings.cadence())
    while True:
        follower = LogFollower(
            database.url,
            store,
            batch_size=settings.projector_batch_size,
            idle_timeout=settings.projector_idle_timeout,
        )
        try:
            await projector.run(follower)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The tracked position is intact (each batch is one transaction): start again.
            log.exception("projector failed; restarting from its tracked position")
            await asyncio.sleep(1.0)


@asynccontextmanager
async def projector_running(database: Database, settings: ProjectorSettings) -> AsyncIterator[None]:
    """Run the projector in the background for the duration of the block."""
    task = asyncio.create_task(run_projector(database, settings), name="projector")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
