"""Incident metrics for dashboards and reviews (definitions in docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.errors import InvalidParameterError
from services.incident_api.incident_metrics import SeverityBasis, recurring_services
from services.incident_api.metric_trends import (
    MAX_BUCKETS,
    BucketSize,
    Figures,
    Period,
    TooManyBucketsError,
    figures_of,
    in_periods,
    periods,
)
from services.incident_api.metrics_csv import CSV_MEDIA_TYPE, metrics_csv, wants_csv
from services.incident_api.metrics_schemas import MetricsRead, TrendRead, WindowRead
from services.incident_api.openapi_responses import FRESHNESS, PARAMETERS, READ, answers
from services.incident_api.queries.follow_ups import follow_ups_of
from services.incident_api.queries.freshness import MinPosition, wait_for_projection
from services.incident_api.queries.metrics import incidents_declared_between
from services.incident_api.query_times import QueryTime
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.routes.markdown import Accept
from shared.domain.values import Severity
from shared.readmodels.incidents import IncidentRow

router = APIRouter(prefix="/v1/metrics", tags=["metrics"], route_class=CheckedRoute)

DEFAULT_WINDOW = timedelta(days=30)


def _responses() -> dict[int | str, dict[str, object]]:
    responses = answers(READ, PARAMETERS, FRESHNESS)
    success = responses.setdefault(200, {})
    success["description"] = "The metrics; with Accept: text/csv, the same table as CSV."
    success["content"] = {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}
    return responses


@router.get("/incidents", responses=_responses(), response_model=MetricsRead)
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
    bucket: Annotated[
        BucketSize | None,
        Query(
            description="Add trends: the figures of each ISO week or calendar month (UTC) of "
            f"the window, at most {MAX_BUCKETS} buckets."
        ),
    ] = None,
    min_position: MinPosition = None,
    accept: Accept = None,
) -> MetricsRead | PlainTextResponse:
    """Time to detect/acknowledge/declare/resolve/close, counts, cadence compliance, reopens,
    follow-ups and, with `bucket`, their trend; with Accept: text/csv, a table of them."""
    now = datetime.now(tz=UTC)
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidParameterError("since/until need a time zone")
    _check_in_utc_range(since, "since")
    _check_in_utc_range(until, "until")
    if since >= until:
        raise InvalidParameterError("since must be before until", field="since")
    buckets = _buckets(since, until, bucket)
    if min_position is not None:
        await wait_for_projection(services.pool, min_position, services.read_wait_seconds)
    level = None if severity is None else severity.value
    rows = await incidents_declared_between(services.pool, since, until, level, severity_basis)
    # Open stretches and overdue follow-ups are measured when the rows were read.
    read_at = datetime.now(tz=UTC)
    follow_ups = await follow_ups_of(services.pool, [r.id for r in rows])

    def measure(part: Sequence[IncidentRow]) -> Figures:
        return figures_of(
            part,
            follow_ups,
            now=read_at,
            basis=severity_basis,
            include_not_incidents=include_not_incidents,
        )

    trends = [
        TrendRead.of(period, measure(part))
        for period, part in zip(buckets, in_periods(rows, buckets), strict=True)
    ]
    window = WindowRead(
        since=since,
        until=until,
        severity=level,
        severity_basis=severity_basis.value,
        bucket=None if bucket is None else bucket.value,
    )
    answer = MetricsRead.of(
        window,
        measure(rows),
        recurring_services=recurring_services(rows),
        trends=trends,
    )
    if wants_csv(accept):
        return PlainTextResponse(metrics_csv(answer), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
    return answer


def _buckets(since: datetime, until: datetime, size: BucketSize | None) -> list[Period]:
    if size is None:
        return []
    try:
        return periods(since, until, size)
    except TooManyBucketsError:
        raise InvalidParameterError(
            f"bucket: the window holds more than {MAX_BUCKETS} {size.value}s; "
            "narrow since/until or use a larger bucket",
            field="bucket",
        ) from None


def _check_in_utc_range(moment: datetime, name: str) -> None:
    # 0001-01-01T00:00:00+01:00 is in year 0 in UTC, which neither Python nor PostgreSQL has.
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidParameterError(
            f"{name}: out of range in UTC (years 1 to 9999)", field=name
        ) from None
