"""`irm`: run the service, and manage what it needs, from one console script."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from shared.database import Database, open_database
from shared.logs import configure_logging
from shared.settings import CommonSettings
from shared.tokens import Scope, count_tokens, create_token

app = typer.Typer(help="Incident response management on an event log.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")

# Messages for people go to stderr, so stdout carries only what a script may capture.
console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the incident API (on the embedded PostgreSQL unless IRM_DATABASE_URL is set)."""
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = ApiSettings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level)
    asyncio.run(_serve(settings))


async def _serve(settings: ApiSettings) -> None:
    async with open_database(settings) as database:
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


def run() -> None:
    """Entry point of the console script."""
    app()
