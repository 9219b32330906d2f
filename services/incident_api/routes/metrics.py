"""Incident metrics for dashboards and reviews (definitions in docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.errors import InvalidParameterError
from services.incident_api.incident_metrics import (
    SeverityBasis,
    compute_follow_up_metrics,
    compute_metrics,
    count_by_factor_category,
    count_by_service,
)
from services.incident_api.openapi_responses import FRESHNESS, PARAMETERS, READ, answers
from services.incident_api.queries.follow_ups import follow_ups_of
from services.incident_api.queries.freshness import MinPosition, wait_for_projection
from services.incident_api.queries.metrics import incidents_declared_between
from services.incident_api.query_times import QueryTime
from services.incident_api.read_schemas import MetricsRead
from services.incident_api.request_checks import CheckedRoute
from shared.domain.values import Severity

router = APIRouter(prefix="/v1/metrics", tags=["metrics"], route_class=CheckedRoute)

DEFAULT_WINDOW = timedelta(days=30)


@router.get("/incidents", responses=answers(READ, PARAMETERS, FRESHNESS))
async def incident_metrics(
    _: Reader,
    services: ServicesDep,
    since: Annotated[QueryTime | None, Query(description="Default: 30 days before until.")] = None,
    until: Annotated[QueryTime | None, Query(description="Default: now.")] = None,
    severity: Severity | None = None,
    severity_basis: Annotated[
        SeverityBasis,
        Query(description="Group and filter by the peak severity (default) or the current one."),
    ] = SeverityBasis.PEAK,
    include_not_incidents: Annotated[
        bool,
        Query(
            description="Count incidents resolved as a false alarm or a duplicate in time to "
            "resolve (left out by default)."
        ),
    ] = False,
    min_position: MinPosition = None,
) -> MetricsRead:
    """Time to acknowledge/resolve/close, counts, cadence compliance and reopens."""
    now = datetime.now(tz=UTC)
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidParameterError("since/until need a time zone")
    if since >= until:
        raise InvalidParameterError("since must be before until", field="since")
    if min_position is not None:
        await wait_for_projection(services.pool, min_position, services.read_wait_seconds)
    level = None if severity is None else severity.value
    rows = await incidents_declared_between(services.pool, since, until, level, severity_basis)
    # Open stretches and overdue follow-ups are measured when the rows were read.
    read_at = datetime.now(tz=UTC)
    follow_ups = await follow_ups_of(services.pool, [r.id for r in rows])
    return MetricsRead.of(
        compute_metrics(
            rows, now=read_at, basis=severity_basis, include_not_incidents=include_not_incidents
        ),
        since=since,
        until=until,
        severity=level,
        severity_basis=severity_basis.value,
        follow_ups=compute_follow_up_metrics(follow_ups, today=read_at.date()),
        by_service=count_by_service(rows),
        by_factor_category=count_by_factor_category(rows),
    )
