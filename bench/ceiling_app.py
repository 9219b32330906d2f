"""Baseline (a) of the command benchmark: the least an HTTP endpoint that appends can do.

`uvicorn --factory bench.ceiling_app:create_app`, in a process of its own. One FastAPI app with
the same request bodies as the incident API (validated by the same models) whose endpoints each
run one asyncpg transaction: the same `LOCK TABLE … IN EXCLUSIVE MODE` and `NOTIFY` as our
event store, then one `INSERT` of one row into a table shaped like our events table
(`bench/append.py` creates it). No token check, no aggregate to load, no event to serialise,
no read models beside it: the ceiling for an event-sourced write endpoint on this stack.

The database comes from `BENCH_DATABASE_URL`; the pool has the services' default size.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import orjson
from eventsourcing.persistence import StoredEvent
from fastapi import FastAPI, Request, status

from bench.append import POOL_SIZE, ceiling_append
from services.incident_api.schemas import IncidentCreate, UpdatePost

DATABASE_URL_ENV = "BENCH_DATABASE_URL"
TOPIC = "bench:Ceiling"


def create_app() -> FastAPI:
    """The ceiling app; its lifespan opens the pool."""
    versions: dict[uuid.UUID, int] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = os.environ[DATABASE_URL_ENV]
        async with asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)

    async def append(request: Request, stream: uuid.UUID, state: bytes) -> int:
        # Versions are counted here: this process is the only writer of its table.
        version = versions.get(stream, 0) + 1
        versions[stream] = version
        stored = StoredEvent(stream, version, TOPIC, state)
        return await ceiling_append(request.app.state.pool, stored)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.post("/v1/incidents", status_code=status.HTTP_201_CREATED)
    async def declare(body: IncidentCreate, request: Request) -> dict[str, int]:
        """One row for a new stream."""
        position = await append(request, uuid.uuid4(), orjson.dumps(body.model_dump()))
        return {"position": position}

    @app.post("/v1/incidents/{incident_id}/updates")
    async def post_update(
        incident_id: uuid.UUID, body: UpdatePost, request: Request
    ) -> dict[str, int]:
        """One row for an existing stream."""
        position = await append(request, incident_id, orjson.dumps(body.model_dump()))
        return {"position": position}

    return app
