"""An API app served over HTTP on a free port of 127.0.0.1 beside a projector, in the test's own
event loop, as `irm serve` runs them: for tests that need a real HTTP server and live events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from fastapi import FastAPI

from services.incident_api.routes.stream import end_streams
from services.projector.runner import projector_running
from services.projector.settings import ProjectorSettings
from shared.database import Database
from tests.e2e.conftest import free_port


@asynccontextmanager
async def served_with_projector(
    app: FastAPI, pool: asyncpg.Pool, database_url: str, projector_settings: ProjectorSettings
) -> AsyncIterator[str]:
    """Serve `app` and run a projector on its database; yield the server's base URL. On the way
    out the open streams end first, so the server's graceful stop does not wait for them."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the API did not start"
        await asyncio.sleep(0.02)
    async with projector_running(
        Database(pool=pool, url=database_url, embedded=False), projector_settings
    ):
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            end_streams(app)
            server.should_exit = True
            await asyncio.wait_for(serving, 10)
