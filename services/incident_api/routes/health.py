"""Liveness, readiness and Prometheus metrics; none of them needs a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from services.incident_api.command_metrics import CommandMetrics
from services.incident_api.deps import ServicesDep
from services.incident_api.openapi_responses import NOT_READY
from services.incident_api.state_metrics import StateMetrics
from services.notifier.enqueuer import NOTIFIER_NAME
from services.projector.projector import PROJECTOR_NAME
from shared.tracking import follower_lag, parked_counts

router = APIRouter(tags=["health"])

FOLLOWERS = (PROJECTOR_NAME,)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=NOT_READY)
async def readyz(services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """The database answers; reports the log head, how far each follower lags behind it, and
    the events followers parked. Parked events make the status "degraded", still with 200: the
    API serves, but some events are missing from the read models or webhooks."""
    try:
        head = await services.store.max_position()
        lags = [await follower_lag(services.pool, services.store, name) for name in FOLLOWERS]
        parked = await parked_counts(services.pool)
    except Exception as error:  # any database failure means "not ready"
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(error).__name__}"},
            status_code=503,
        )
    return {
        "status": "degraded" if parked else "ready",
        "database": "ok",
        "log_position": head,
        "followers": {
            lag.name: {
                "position": lag.position,
                "behind_events": lag.behind_events,
                "behind_seconds": round(lag.behind_seconds, 3),
            }
            for lag in lags
        },
        "parked_events": parked,
    }


class ApiMetrics:
    """The app's own Prometheus registry (no global state), refreshed at every scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.head = Gauge(
            "irm_log_head_position", "Position of the newest event.", registry=self.registry
        )
        labels = ["follower"]
        self.position = Gauge(
            "irm_follower_position", "Last position handled.", labels, registry=self.registry
        )
        self.lag_events = Gauge(
            "irm_follower_lag_events", "Events not yet handled.", labels, registry=self.registry
        )
        self.lag_seconds = Gauge(
            "irm_follower_lag_seconds",
            "Age of the oldest event not yet handled.",
            labels,
            registry=self.registry,
        )
        self.parked = Gauge(
            "irm_follower_parked_events",
            "Events the follower could not handle and passed (in irm_parked_events).",
            labels,
            registry=self.registry,
        )
        self.commands = CommandMetrics(self.registry)
        self.state = StateMetrics(self.registry)


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus text exposition of the log head, followers' positions, lag and parked events,
    the commands this process answered, and the state gauges (`state_metrics`)."""
    metrics: ApiMetrics = request.app.state.metrics
    metrics.head.set(await services.store.max_position())
    # The notifier's lag is its queue of events not yet turned into deliveries (not in /readyz).
    for name in (*FOLLOWERS, NOTIFIER_NAME):
        lag = await follower_lag(services.pool, services.store, name)
        metrics.position.labels(name).set(lag.position)
        metrics.lag_events.labels(name).set(lag.behind_events)
        metrics.lag_seconds.labels(name).set(lag.behind_seconds)
    parked = await parked_counts(services.pool)
    for name in sorted({*FOLLOWERS, NOTIFIER_NAME, *parked}):
        metrics.parked.labels(name).set(parked.get(name, 0))
    await metrics.state.refresh(services.pool)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
