"""`irm projector`, `irm projector rebuild` and `irm notifier`: the followers on their own."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress

from services.notifier.runner import run_notifier
from services.notifier.settings import NotifierSettings
from services.projector.rebuild import RebuildResult, rebuild_read_models
from services.projector.runner import run_projector
from services.projector.settings import ProjectorSettings
from shared.database import open_database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore


async def projector(settings: ProjectorSettings) -> None:
    """Keep the read models until cancelled."""
    async with open_database(settings) as database:
        await run_projector(database, settings)


async def notifier(settings: NotifierSettings) -> None:
    """Deliver webhooks and record reminders until cancelled."""
    async with open_database(settings) as database:
        await run_notifier(database, settings)


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
