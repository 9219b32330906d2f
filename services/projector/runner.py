"""Running the projector: as its own process (`irm projector`) or beside the API (`irm serve`)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from shared.background import in_background, run_forever
from shared.database import Database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore
from shared.subscription import LogFollower


async def run_projector(database: Database, settings: ProjectorSettings) -> None:
    """Follow the log and keep the read models, until cancelled; restarts after failures."""
    store = EventStore(database.pool, build_mapper(), lock_timeout_ms=settings.lock_timeout_ms)
    projector = Projector(database.pool, settings.cadence())

    async def follow() -> None:
        follower = LogFollower(
            database.url,
            store,
            batch_size=settings.projector_batch_size,
            idle_timeout=settings.projector_idle_timeout,
        )
        await projector.run(follower)

    await run_forever("projector", follow)


def projector_running(
    database: Database, settings: ProjectorSettings
) -> AbstractAsyncContextManager[None]:
    """Run the projector in the background for the duration of the block."""
    return in_background("projector", run_projector(database, settings))
