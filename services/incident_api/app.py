"""`create_app(settings)`: the incident API, with no state until its lifespan runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import timedelta

from fastapi import FastAPI

from services.incident_api.body_limit import BodyLimitMiddleware
from services.incident_api.commands import IncidentCommands
from services.incident_api.deps import Services, TokenCache
from services.incident_api.error_handlers import install_error_handlers
from services.incident_api.recent import RecentIncidents
from services.incident_api.routes import (
    follow_ups,
    health,
    incident_queries,
    incidents,
    metrics,
    postmortem,
    subscriptions,
)
from services.incident_api.routes.health import ApiMetrics
from services.incident_api.settings import ApiSettings
from services.incident_api.webhook_errors import install_webhook_error_handlers
from shared.database import Database, open_database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore


def create_app(settings: ApiSettings, *, database: Database | None = None) -> FastAPI:
    """Build the API; the lifespan opens the database (unless given one) and the services."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _use_or_open(database, settings) as database_in_use:
            store = EventStore(
                database_in_use.pool, build_mapper(), lock_timeout_ms=settings.lock_timeout_ms
            )
            repository = IncidentRepository(store, snapshot_interval=settings.snapshot_interval)
            app.state.services = Services(
                pool=database_in_use.pool,
                store=store,
                repository=repository,
                commands=IncidentCommands(
                    database_in_use.pool,
                    repository,
                    retries=settings.command_retries,
                    recent=RecentIncidents(settings.recent_incidents),
                ),
                tokens=TokenCache(ttl_seconds=settings.token_cache_seconds),
                read_wait_seconds=settings.read_wait_seconds,
                webhook_allowlist=settings.allowlist(),
                webhook_secret_grace=timedelta(seconds=settings.webhook_secret_grace_seconds),
            )
            try:
                yield
            finally:
                await repository.drain()

    app = FastAPI(
        title="Incident Response Management",
        version="0.1.0",
        description="Declare, run and review incidents; every change is an event.",
        lifespan=lifespan,
    )
    app.state.metrics = ApiMetrics()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    install_webhook_error_handlers(app)
    app.include_router(health.router)
    # Queries first: GET /v1/incidents/{id} is served from the read model.
    app.include_router(incident_queries.router)
    app.include_router(incidents.router)
    app.include_router(metrics.router)
    app.include_router(subscriptions.router)
    app.include_router(postmortem.router)
    app.include_router(follow_ups.router)
    return app


def _use_or_open(
    database: Database | None, settings: ApiSettings
) -> AbstractAsyncContextManager[Database]:
    return nullcontext(database) if database is not None else open_database(settings)
