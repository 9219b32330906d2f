"""Baseline (b) of the command benchmark: the same commands the way eventsourcing's docs show.

`uvicorn --factory bench.es_app:create_app`, in a process of its own. Plain `def` (sync)
FastAPI endpoints, which FastAPI runs in its thread pool, calling an eventsourcing
`Application` on its PostgreSQL persistence, configured through `POSTGRES_*` environment
variables: load the aggregate with `repository.get`, call the command, `save`. The aggregate
is our own `Incident`; the application snapshots every 100 events, as our repository does
(eventsourcing takes the snapshot inside `save`, ours in the background). No token check.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import MutableOrImmutableAggregate
from fastapi import FastAPI, Request, status

from bench.es_baseline import EsBaseline
from services.incident_api.schemas import IncidentCreate, UpdatePost
from shared.domain.incident import Incident
from shared.domain.values import Actor

ACTOR = Actor(principal="bench")
SNAPSHOT_INTERVAL = 100


class IncidentApplication(EsBaseline):
    """eventsourcing's application for incidents, snapshotting like our repository."""

    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        Incident: SNAPSHOT_INTERVAL
    }


def create_app() -> FastAPI:
    """The eventsourcing-style app; its lifespan constructs the Application from the env."""
    numbers = itertools.count(1)
    numbers_lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        application = IncidentApplication()
        app.state.application = application
        try:
            yield
        finally:
            application.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.post("/v1/incidents", status_code=status.HTTP_201_CREATED)
    def declare(body: IncidentCreate, request: Request) -> dict[str, str]:
        """Declare: a new aggregate, saved."""
        application: IncidentApplication = request.app.state.application
        with numbers_lock:
            number = next(numbers)
        # The body's fields are the command's arguments, passed straight to the aggregate.
        # Not through our command path (services/incident_api), on purpose: this is the
        # baseline ours is measured against, so it shares with ours only what both sides must
        # do alike, the aggregate and the request models.
        incident = Incident.declare(actor=ACTOR, number=number, **body.model_dump(mode="json"))
        application.save(incident)
        return {"id": str(incident.id)}

    @app.post("/v1/incidents/{incident_id}/updates")
    def post_update(incident_id: UUID, body: UpdatePost, request: Request) -> dict[str, int]:
        """Load, command, save."""
        application: IncidentApplication = request.app.state.application
        incident: Incident = application.repository.get(incident_id)
        incident.post_update(ACTOR, **body.model_dump(mode="json"))
        application.save(incident)
        return {"version": incident.version}

    return app
