"""Trends: the window cut into calendar weeks or months (UTC), and the figures of each part.

Every figure of a bucket is computed by the same functions as the window's own
(`incident_metrics`), over the incidents declared in the bucket, so a bucket's counts add up to
the window's and a definition lives in one place.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

from services.incident_api.incident_metrics import (
    CadenceCompliance,
    FollowUpMetrics,
    IncidentMetrics,
    SeverityBasis,
    cadence_by_severity,
    compute_follow_up_metrics,
    compute_metrics,
    count_by_factor_category,
    count_by_service,
)
from shared.readmodels.follow_ups import FollowUpRow
from shared.readmodels.incidents import IncidentRow

MAX_BUCKETS: Final = 1000
"""The most buckets one answer holds (over 19 years of weeks, 83 of months)."""


class BucketSize(StrEnum):
    """How long a trend's bucket is: an ISO week (from Monday) or a calendar month, in UTC."""

    WEEK = "week"
    MONTH = "month"


class TooManyBucketsError(ValueError):
    """The window holds more than MAX_BUCKETS buckets."""


@dataclass(frozen=True, slots=True)
class Period:
    """One bucket: its label and the part of the window it covers, [start, end)."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of a set of incidents (the window's, or one bucket's)."""

    incidents: IncidentMetrics
    follow_ups: FollowUpMetrics
    by_service: dict[str, int]
    by_factor_category: dict[str, int]
    update_cadence_by_severity: dict[str, CadenceCompliance]


def periods(since: datetime, until: datetime, size: BucketSize) -> list[Period]:
    """The buckets that [since, until) touches, in order, each clipped to the window."""
    found: list[Period] = []
    start = _bucket_start(since.astimezone(UTC), size)
    while start < until:
        if len(found) == MAX_BUCKETS:
            raise TooManyBucketsError(f"more than {MAX_BUCKETS} buckets")
        following = _next_start(start, size)
        end = until if following is None else min(following, until)
        found.append(Period(_label(start, size), max(start, since), end))
        if following is None:
            break
        start = following
    return found


def in_periods(rows: Iterable[IncidentRow], buckets: Sequence[Period]) -> list[list[IncidentRow]]:
    """`rows` by the bucket their declaration falls in (rows outside every bucket are left out)."""
    starts = [p.start for p in buckets]
    grouped: list[list[IncidentRow]] = [[] for _ in buckets]
    for row in rows:
        at = bisect.bisect_right(starts, row.declared_at) - 1
        if at >= 0 and row.declared_at < buckets[at].end:
            grouped[at].append(row)
    return grouped


def figures_of(
    rows: Sequence[IncidentRow],
    follow_ups: Sequence[FollowUpRow],
    *,
    now: datetime,
    basis: SeverityBasis,
    include_not_incidents: bool,
) -> Figures:
    """The figures of `rows`, with the follow-ups of those incidents (others are ignored)."""
    ids: set[UUID] = {r.id for r in rows}
    return Figures(
        incidents=compute_metrics(
            rows, now=now, basis=basis, include_not_incidents=include_not_incidents
        ),
        follow_ups=compute_follow_up_metrics(
            (f for f in follow_ups if f.incident_id in ids), today=now.date()
        ),
        by_service=count_by_service(rows),
        by_factor_category=count_by_factor_category(rows),
        update_cadence_by_severity=cadence_by_severity(rows, now=now, basis=basis),
    )


def _bucket_start(moment: datetime, size: BucketSize) -> datetime:
    day = moment.date()
    if size is BucketSize.WEEK:
        day -= timedelta(days=day.weekday())
    else:
        day = day.replace(day=1)
    return _midnight(day)


def _next_start(start: datetime, size: BucketSize) -> datetime | None:
    """The start of the bucket after the one starting at `start`; None past year 9999."""
    try:
        if size is BucketSize.WEEK:
            return start + timedelta(days=7)
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    except (OverflowError, ValueError):
        return None


def _label(start: datetime, size: BucketSize) -> str:
    if size is BucketSize.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{start.year:04d}-{start.month:02d}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
