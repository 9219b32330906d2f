"""`create_app(settings)`: the incident API, with no state until its lifespan runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import timedelta

from fastapi import FastAPI

from services.incident_api.body_limit import BodyLimitMiddleware
from services.incident_api.command_metrics import CommandMetricsMiddleware
from services.incident_api.deps import FailedLogins, Services, TokenCache, TokenGuard
from services.incident_api.error_handlers import install_error_handlers
from services.incident_api.incident_service import IncidentCommands
from services.incident_api.oidc import OidcVerifier
from services.incident_api.openapi_responses import install_problem_schema
from services.incident_api.recent import RecentIncidents
from services.incident_api.routes import (
    follow_ups,
    health,
    incident_queries,
    incidents,
    integrations,
    me,
    metrics,
    oncall,
    people,
    postmortem,
    stream,
    subscriptions,
    tokens,
)
from services.incident_api.routes.health import ApiMetrics
from services.incident_api.settings import ApiSettings
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
            token_guard = TokenGuard(
                database_in_use.pool,
                TokenCache(ttl_seconds=settings.token_cache_seconds),
                failures=FailedLogins(
                    allowed=settings.failed_logins_allowed,
                    window_seconds=settings.failed_logins_window_seconds,
                ),
                oidc=OidcVerifier.from_settings(settings),
            )
            revocations = asyncio.create_task(
                token_guard.listen_for_revocations(database_in_use.url), name="token-revocations"
            )
            app.state.services = Services(
                pool=database_in_use.pool,
                store=store,
                repository=repository,
                commands=IncidentCommands(
                    database_in_use.pool,
                    repository,
                    retry_seconds=settings.command_retry_seconds,
                    retries=settings.command_retries,
                    recent=RecentIncidents(settings.recent_incidents),
                ),
                tokens=token_guard,
                read_wait_seconds=settings.read_wait_seconds,
                webhook_allowlist=settings.allowlist(),
                webhook_secret_grace=timedelta(seconds=settings.webhook_secret_grace_seconds),
                reopen_closed_window=settings.reopen_closed_window,
                update_cadence=settings.cadence(),
            )
            try:
                yield
            finally:
                revocations.cancel()
                await asyncio.gather(revocations, return_exceptions=True)
                await token_guard.aclose()
                await repository.drain()

    app = FastAPI(
        title="Incident Response Management",
        version="0.1.0",
        description="Declare, run and review incidents; every change is an event.",
        lifespan=lifespan,
        # /docs and /redoc come with the console (services.console.install), with assets served
        # from this process (no CDN); the console imports this package, never the other way.
        docs_url=None,
        redoc_url=None,
    )
    app.state.metrics = ApiMetrics()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Outermost: a command's time includes reading its body.
    app.add_middleware(CommandMetricsMiddleware, metrics=app.state.metrics.commands)
    install_error_handlers(app)
    install_problem_schema(app)
    app.include_router(health.router)
    # Queries first: GET /v1/incidents/{id} is served from the read model.
    app.include_router(incident_queries.router)
    app.include_router(incidents.router)
    app.include_router(metrics.router)
    app.include_router(subscriptions.router)
    app.include_router(postmortem.router)
    app.include_router(follow_ups.router)
    app.include_router(tokens.router)
    app.include_router(people.router)
    app.include_router(oncall.router)
    app.include_router(integrations.router)
    app.include_router(integrations.intake)
    app.include_router(me.router)
    app.include_router(stream.router)
    return app


def _use_or_open(
    database: Database | None, settings: ApiSettings
) -> AbstractAsyncContextManager[Database]:
    return nullcontext(database) if database is not None else open_database(settings)
