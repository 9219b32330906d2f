"""Liveness, readiness and Prometheus metrics; none of them needs a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from services.incident_api.deps import ServicesDep
from services.projector.projector import PROJECTOR_NAME
from shared.tracking import follower_lag

router = APIRouter(tags=["health"])

FOLLOWERS = (PROJECTOR_NAME,)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(services: ServicesDep) -> dict[str, Any] | JSONResponse:
    """The database answers; reports the log head and how far each follower lags behind it."""
    try:
        head = await services.store.max_position()
        lags = [await follower_lag(services.pool, services.store, name) for name in FOLLOWERS]
    except Exception as error:  # any database failure means "not ready"
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(error).__name__}"},
            status_code=503,
        )
    return {
        "status": "ready",
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


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus text exposition of the log head and followers' positions and lag."""
    metrics: ApiMetrics = request.app.state.metrics
    metrics.head.set(await services.store.max_position())
    for name in FOLLOWERS:
        lag = await follower_lag(services.pool, services.store, name)
        metrics.position.labels(name).set(lag.position)
        metrics.lag_events.labels(name).set(lag.behind_events)
        metrics.lag_seconds.labels(name).set(lag.behind_seconds)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
