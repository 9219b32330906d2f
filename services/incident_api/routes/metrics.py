"""Incident metrics for dashboards and reviews (definitions in docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.problems import ProblemError
from services.incident_api.queries.follow_ups import follow_ups_of
from services.incident_api.queries.freshness import MinPosition, wait_for_projection
from services.incident_api.queries.metrics import incidents_declared_between
from services.incident_api.read_schemas import MetricsRead
from shared.domain.values import Severity
from shared.readmodels.metrics import (
    compute_follow_up_metrics,
    compute_metrics,
    count_by_factor_category,
    count_by_service,
)

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])

DEFAULT_WINDOW = timedelta(days=30)


@router.get("/incidents")
async def incident_metrics(
    _: Reader,
    services: ServicesDep,
    since: Annotated[datetime | None, Query(description="Default: 30 days before until.")] = None,
    until: Annotated[datetime | None, Query(description="Default: now.")] = None,
    severity: Severity | None = None,
    min_position: MinPosition = None,
) -> MetricsRead:
    """Time to acknowledge/resolve/close, counts, cadence compliance and reopens."""
    now = datetime.now(tz=UTC)
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since.tzinfo is None or until.tzinfo is None:
        raise ProblemError(
            422, "validation-error", "Request is invalid", "since/until need a time zone"
        )
    if since >= until:
        raise ProblemError(
            422,
            "validation-error",
            "Request is invalid",
            "since must be before until",
            field="since",
        )
    if min_position is not None:
        await wait_for_projection(services.pool, min_position, services.read_wait_seconds)
    level = None if severity is None else severity.value
    rows = await incidents_declared_between(services.pool, since, until, level)
    # Open stretches and overdue follow-ups are measured when the rows were read.
    read_at = datetime.now(tz=UTC)
    follow_ups = await follow_ups_of(services.pool, [r.id for r in rows])
    return MetricsRead.of(
        compute_metrics(rows, now=read_at),
        since=since,
        until=until,
        severity=level,
        follow_ups=compute_follow_up_metrics(follow_ups, today=read_at.date()),
        by_service=count_by_service(rows),
        by_factor_category=count_by_factor_category(rows),
    )
