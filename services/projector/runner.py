"""Running the projector: as its own process (`irm projector`) or beside the API (`irm serve`)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

# Stored events name their classes by topic (`irm:Incident.Declared`), which resolve only once
# the incident's module has defined them; `irm projector` imports nothing else that does.
import shared.domain.incident  # noqa: F401
from services.projector.projector import PROJECTOR_NAME, Projector
from services.projector.settings import ProjectorSettings
from shared.active_standby import Replica, while_active
from shared.background import in_background
from shared.database import Database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore
from shared.follower_health import health_served
from shared.follower_process import follow_log


async def run_projector(database: Database, settings: ProjectorSettings) -> None:
    """Follow the log and keep the read models while this replica is the active one (the
    others wait on standby), until cancelled; restarts after failures. Serves /readyz when
    `projector_health_port` is set."""
    store = EventStore(database.pool, build_mapper(), lock_timeout_ms=settings.lock_timeout_ms)
    projector = Projector(database.pool, settings.cadence())

    async def follow() -> None:
        await follow_log(
            PROJECTOR_NAME,
            database,
            store,
            projector,
            batch_size=settings.projector_batch_size,
            idle_timeout=settings.projector_idle_timeout,
        )

    replica = Replica(PROJECTOR_NAME)
    async with health_served(
        settings.projector_health_host, settings.projector_health_port, database.pool, replica
    ):
        await while_active(PROJECTOR_NAME, database.url, follow, replica=replica)


def projector_running(
    database: Database, settings: ProjectorSettings
) -> AbstractAsyncContextManager[None]:
    """Run the projector in the background for the duration of the block."""
    return in_background("projector", run_projector(database, settings))
