"""`irm serve`: the API, the projector and the notifier in one process; `irm api`: the API
alone, as a deployment runs it beside separate projector and notifier processes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from rich.console import Console

from services.console.install import create_app_with_console
from services.incident_api.routes.stream import end_streams
from services.incident_api.settings import ApiSettings
from services.notifier.runner import notifier_running
from services.notifier.settings import NotifierSettings
from services.projector.runner import projector_running
from services.projector.settings import ProjectorSettings
from shared.database import Database, open_database
from shared.tokens import Scope, count_tokens, create_token


async def serve(settings: ApiSettings, console: Console) -> None:
    """Serve until SIGINT/SIGTERM, then shut everything down in order."""
    async with (
        open_database(settings) as database,
        projector_running(database, ProjectorSettings()),
        notifier_running(database, NotifierSettings()),
    ):
        await _offer_first_token(database, console)
        await _serve_http(settings, database, console)


async def serve_api(settings: ApiSettings, console: Console) -> None:
    """Serve the API alone until SIGINT/SIGTERM. It migrates nothing: on a schema that is
    behind it raises `SchemaBehindError` (`irm migrate` runs first, once per deployment)."""
    async with open_database(settings, migrate_schema=False) as database:
        await _serve_http(settings, database, console)


async def _serve_http(settings: ApiSettings, database: Database, console: Console) -> None:
    config = uvicorn.Config(
        create_app_with_console(settings, database=database),
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

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """End the live event streams first: their clients would never leave by themselves,
        and uvicorn waits for every open connection before the lifespan can end."""
        end_streams(self.config.app)
        await super().shutdown(sockets)

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Let uvicorn handle the signals, then forget them."""
        with super().capture_signals():
            try:
                yield
            finally:
                self._captured_signals.clear()


async def _offer_first_token(database: Database, console: Console) -> None:
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
