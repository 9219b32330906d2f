"""`irm`: run the services, and manage what they need, from one console script.

Each command imports what it runs only when it runs, so `irm projector` does not pay for
FastAPI and `irm tokens create` starts quickly; a restarted worker is back sooner.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from contextlib import suppress
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from shared.logs import configure_logging
from shared.tokens import Scope

if TYPE_CHECKING:
    from shared.settings import CommonSettings

app = typer.Typer(help="Incident response management on an event log.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
projector_app = typer.Typer(
    help="The projector: keeps the read models in step with the event log.",
    invoke_without_command=True,
)
app.add_typer(projector_app, name="projector")

# Messages for people go to stderr, so stdout carries only what a script may capture.
console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the API, the projector and the notifier in one process (embedded PostgreSQL
    unless IRM_DATABASE_URL is set)."""
    from services.cli import serve as serving
    from services.incident_api.settings import ApiSettings

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = ApiSettings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level)
    asyncio.run(serving.serve(settings, console))


@tokens_app.command("create")
def tokens_create(
    principal: Annotated[str, typer.Option(help="Who the token acts as, e.g. alice.")],
    scope: Annotated[Scope, typer.Option(help="read, write or admin.")] = Scope.WRITE,
) -> None:
    """Create an API token and print it once; only its hash is stored."""
    from shared.settings import CommonSettings

    settings = CommonSettings()
    configure_logging(settings.log_level)
    token = asyncio.run(_create_token(settings, principal, scope))
    typer.echo(token)


async def _create_token(settings: CommonSettings, principal: str, scope: Scope) -> str:
    from shared.database import open_database
    from shared.tokens import create_token

    async with open_database(settings) as database:
        return await create_token(database.pool, principal=principal, scope=scope)


@projector_app.callback()
def projector(ctx: typer.Context) -> None:
    """Run the projector until stopped (SIGINT or SIGTERM)."""
    if ctx.invoked_subcommand is not None:
        return
    from services.cli import workers
    from services.projector.settings import ProjectorSettings

    settings = ProjectorSettings()
    configure_logging(settings.log_level)
    asyncio.run(_until_signalled(workers.projector(settings)))


@projector_app.command("rebuild")
def projector_rebuild(
    batch_size: Annotated[int, typer.Option(min=1, help="Events read per batch.")] = 5_000,
) -> None:
    """Rebuild every read model from the log, then switch over atomically."""
    from services.cli import workers
    from services.projector.settings import ProjectorSettings

    settings = ProjectorSettings()
    configure_logging(settings.log_level)
    result = asyncio.run(workers.rebuild(settings, batch_size, console))
    console.print(
        f"Rebuilt {result.incidents} incidents from {result.events} events "
        f"(up to position {result.position})."
    )


@app.command()
def notifier() -> None:
    """Run the notifier until stopped: webhooks, retries and overdue-update reminders."""
    from services.cli import workers
    from services.notifier.settings import NotifierSettings

    settings = NotifierSettings()
    configure_logging(settings.log_level)
    asyncio.run(_until_signalled(workers.notifier(settings)))


async def _until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives; a signal cancels it cleanly."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with suppress(asyncio.CancelledError):
        await task


def run() -> None:
    """Entry point of the console script."""
    app()
