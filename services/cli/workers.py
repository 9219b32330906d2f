"""`irm projector rebuild`: every read model replayed from the log, with progress shown.

`irm projector` and `irm notifier` run through `shared.follower_process.run_follower_process`.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress

# Stored events name their classes by topic (`irm:Incident.Declared`), which resolve only once
# the incident's module has defined them; the rebuild imports nothing else that does.
import shared.domain.incident  # noqa: F401
from services.projector.rebuild import RebuildResult, rebuild_read_models
from services.projector.settings import ProjectorSettings
from shared.database import open_database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore


async def rebuild(settings: ProjectorSettings, batch_size: int, console: Console) -> RebuildResult:
    """Rebuild every read model, showing progress on the console."""
    async with open_database(settings) as database:
        store = EventStore(database.pool, build_mapper())
        with Progress(console=console, transient=False) as progress:
            task = progress.add_task("replaying the log", total=None)

            def report(position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            return await rebuild_read_models(
                database.pool, store, settings.cadence(), batch_size=batch_size, progress=report
            )
