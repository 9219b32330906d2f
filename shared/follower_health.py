"""`/healthz` and `/readyz` of a follower process (`irm projector`, `irm notifier`), on a port
of its own when one is configured (`IRM_PROJECTOR_HEALTH_PORT`, `IRM_NOTIFIER_HEALTH_PORT`).

A follower is ready when its replica is the active one or a healthy standby (its lock
connection answers, so it can take over) and its database pool answers. The JSON says which.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Final

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.active_standby import Replica

log = logging.getLogger(__name__)

_DATABASE_TIMEOUT_S: Final = 2.0
_STOP_WITHIN_S: Final = 5.0


async def readiness(pool: asyncpg.Pool, replica: Replica) -> tuple[bool, dict[str, Any]]:
    """Whether the follower is ready, and the JSON that says why."""
    try:
        async with asyncio.timeout(_DATABASE_TIMEOUT_S):
            await pool.fetchval("SELECT 1")
        database = "ok"
    except Exception as error:  # any database failure means "not ready"
        database = f"unreachable: {type(error).__name__}"
    ready = database == "ok" and replica.healthy()
    return ready, {
        "status": "ready" if ready else "unavailable",
        "database": database,
        "lock": replica.name,
        "role": replica.role,
    }


def health_app(pool: asyncpg.Pool, replica: Replica) -> Starlette:
    """The two routes, with no token: they tell nothing secret."""

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        ready, body = await readiness(pool, replica)
        return JSONResponse(body, status_code=200 if ready else 503)

    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz)])


@asynccontextmanager
async def health_served(
    host: str, port: int | None, pool: asyncpg.Pool, replica: Replica
) -> AsyncIterator[None]:
    """Serve `/healthz` and `/readyz` on `host:port` for the duration of the block; nothing
    when `port` is None."""
    if port is None:
        yield
        return
    config = uvicorn.Config(
        health_app(pool, replica),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve(), name="health")
    try:
        yield
    finally:
        server.should_exit = True
        try:
            async with asyncio.timeout(_STOP_WITHIN_S):
                await asyncio.shield(serving)
        except TimeoutError:
            serving.cancel()


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to the process: the follower's own
    handlers cancel its work, and the block above then stops this server."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install no signal handler."""
        yield
