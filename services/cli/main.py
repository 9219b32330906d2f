"""`irm`: run the service, and manage what it needs, from one console script."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from services.notifier.runner import notifier_running, run_notifier
from services.notifier.settings import NotifierSettings
from services.projector.rebuild import RebuildResult, rebuild_read_models
from services.projector.runner import projector_running, run_projector
from services.projector.settings import ProjectorSettings
from shared.database import Database, open_database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore
from shared.logs import configure_logging
from shared.settings import CommonSettings
from shared.tokens import Scope, count_tokens, create_token

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
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = ApiSettings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level)
    asyncio.run(_serve(settings))


async def _serve(settings: ApiSettings) -> None:
    async with (
        open_database(settings) as database,
        projector_running(database, ProjectorSettings()),
        notifier_running(database, NotifierSettings()),
    ):
        await _offer_first_token(database)
        config = uvicorn.Config(
            create_app(settings, database=database),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
        )
        console.print(f"Incident API on http://{settings.host}:{settings.port} (docs at /docs)")
        await _GracefulServer(config).serve()


class _GracefulServer(uvicorn.Server):
    """A uvicorn server whose graceful shutdown on SIGINT/SIGTERM is the end of the story.

    uvicorn re-raises the signal after shutting down; that would kill the process before the
    database pool closes and the embedded PostgreSQL stops, so the signal is consumed here.
    """

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Let uvicorn handle the signals, then forget them."""
        with super().capture_signals():
            try:
                yield
            finally:
                self._captured_signals.clear()


async def _offer_first_token(database: Database) -> None:
    """On a database with no tokens, make an admin token so a new user is never locked out."""
    if await count_tokens(database.pool) > 0:
        return
    token = await create_token(database.pool, principal="admin", scope=Scope.ADMIN)
    console.print(
        "[bold]No API tokens existed, so one was created for principal 'admin' "
        "(scope admin). It is shown only this once:[/bold]"
    )
    console.print(f"  {token}", highlight=False, soft_wrap=True)
    console.print("More: irm tokens create --principal NAME --scope read|write|admin")


@tokens_app.command("create")
def tokens_create(
    principal: Annotated[str, typer.Option(help="Who the token acts as, e.g. alice.")],
    scope: Annotated[Scope, typer.Option(help="read, write or admin.")] = Scope.WRITE,
) -> None:
    """Create an API token and print it once; only its hash is stored."""
    settings = CommonSettings()
    configure_logging(settings.log_level)
    token = asyncio.run(_create_token(settings, principal, scope))
    typer.echo(token)


async def _create_token(settings: CommonSettings, principal: str, scope: Scope) -> str:
    async with open_database(settings) as database:
        return await create_token(database.pool, principal=principal, scope=scope)


@projector_app.callback()
def projector(ctx: typer.Context) -> None:
    """Run the projector until stopped (SIGINT or SIGTERM)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = ProjectorSettings()
    configure_logging(settings.log_level)
    asyncio.run(_until_signalled(_run_projector(settings)))


async def _run_projector(settings: ProjectorSettings) -> None:
    async with open_database(settings) as database:
        await run_projector(database, settings)


@app.command()
def notifier() -> None:
    """Run the notifier until stopped: webhooks, retries and overdue-update reminders."""
    settings = NotifierSettings()
    configure_logging(settings.log_level)
    asyncio.run(_until_signalled(_run_notifier(settings)))


async def _run_notifier(settings: NotifierSettings) -> None:
    async with open_database(settings) as database:
        await run_notifier(database, settings)


@projector_app.command("rebuild")
def projector_rebuild(
    batch_size: Annotated[int, typer.Option(min=1, help="Events read per batch.")] = 5_000,
) -> None:
    """Rebuild every read model from the log, then switch over atomically."""
    settings = ProjectorSettings()
    configure_logging(settings.log_level)
    result = asyncio.run(_rebuild(settings, batch_size))
    console.print(
        f"Rebuilt {result.incidents} incidents from {result.events} events "
        f"(up to position {result.position})."
    )


async def _rebuild(settings: ProjectorSettings, batch_size: int) -> RebuildResult:
    async with open_database(settings) as database:
        store = EventStore(database.pool, build_mapper())
        with Progress(console=console, transient=False) as progress:
            task = progress.add_task("replaying the log", total=None)

            def report(position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            return await rebuild_read_models(
                database.pool, store, settings.cadence(), batch_size=batch_size, progress=report
            )


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
