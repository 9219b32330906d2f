"""Incident metrics, computed from read-model rows; each definition is in docs/metrics.md."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from shared.domain.review import FactorCategory
from shared.domain.rules import not_an_incident
from shared.domain.values import Severity, Status
from shared.readmodels.follow_ups import FollowUpRow
from shared.readmodels.incidents import IncidentRow


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Summary of a set of durations, in seconds; None where there are none."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> DurationStats:
        """Stats of the given durations."""
        if not seconds:
            return cls(count=0, mean=None, median=None, p90=None)
        ordered = sorted(seconds)
        return cls(
            count=len(ordered),
            mean=statistics.fmean(ordered),
            median=statistics.median(ordered),
            p90=_nearest_rank(ordered, 0.9),
        )


@dataclass(frozen=True, slots=True)
class CadenceCompliance:
    """How many customer-update intervals stayed within the severity's cadence."""

    intervals: int
    within_cadence: int

    @property
    def ratio(self) -> float | None:
        """The share within cadence, or None when there was nothing to measure."""
        return None if self.intervals == 0 else self.within_cadence / self.intervals


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    """The metrics of a set of incidents."""

    incidents: int
    by_severity: dict[str, int]
    by_status: dict[str, int]
    time_to_acknowledge: DurationStats
    time_to_resolve: DurationStats
    time_to_close: DurationStats
    # From the impact window: started to detected, and detected to declared, where known.
    time_to_detect: DurationStats
    time_to_declare: DurationStats
    # Per shift change with a handover due (issue 12): due to the role's next assignment.
    time_to_hand_over: DurationStats
    update_cadence: CadenceCompliance
    reopens: int
    reopened_incidents: int
    reviews_pending: int


class SeverityBasis(StrEnum):
    """Which severity metrics group and filter by: the highest an incident had, or its current."""

    PEAK = "peak"
    CURRENT = "current"


def severity_of(row: IncidentRow, basis: SeverityBasis) -> str | None:
    """The row's severity on `basis`."""
    return row.peak_severity if basis is SeverityBasis.PEAK else row.severity


def compute_metrics(
    rows: Iterable[IncidentRow],
    *,
    now: datetime,
    basis: SeverityBasis = SeverityBasis.PEAK,
    include_not_incidents: bool = False,
) -> IncidentMetrics:
    """All metrics over `rows`, with open stretches measured up to `now`, counted by severity
    on `basis`. Time to resolve leaves out incidents resolved as a false alarm or a duplicate
    (`rules.not_an_incident`) unless `include_not_incidents`."""
    rows = list(rows)
    by_severity = Counter(severity_of(r, basis) or "unclassified" for r in rows)
    by_status = Counter(r.status for r in rows)
    return IncidentMetrics(
        incidents=len(rows),
        by_severity={key: by_severity.get(key, 0) for key in _severity_keys()},
        by_status={s.value: by_status.get(s.value, 0) for s in Status},
        time_to_acknowledge=_stats(time_to_acknowledge(r) for r in rows),
        time_to_resolve=_stats(time_to_resolve(r, include_not_incidents) for r in rows),
        time_to_close=_stats(time_to_close(r) for r in rows),
        time_to_detect=_stats(time_to_detect(r) for r in rows),
        time_to_declare=_stats(time_to_declare(r) for r in rows),
        time_to_hand_over=_stats(t for r in rows for t in times_to_hand_over(r)),
        update_cadence=cadence_compliance(rows, now=now),
        reopens=sum(r.reopen_count for r in rows),
        reopened_incidents=sum(1 for r in rows if r.reopen_count > 0),
        reviews_pending=sum(1 for r in rows if r.review_pending),
    )


# One function per duration: what starts and ends it, or None while the incident has not both.
# Every answer (the window's figures, each bucket's, the CSV) measures through these.


def time_to_acknowledge(row: IncidentRow) -> float | None:
    """Paged to acknowledged when the incident was paged (issue 12); otherwise declared to the
    first IC assigned (a later handover does not move it)."""
    if row.paged_at is not None:
        return _between(row.paged_at, row.acknowledged_at)
    return _between(row.declared_at, row.ic_assigned_at)


def times_to_hand_over(row: IncidentRow) -> list[float]:
    """Each handover due at a shift change (HandoverDue) to the role's next assignment; one
    figure per handover done."""
    return [
        (datetime.fromisoformat(h["done_at"]) - datetime.fromisoformat(h["due_at"])).total_seconds()
        for h in row.handovers
        if h["done_at"] is not None
    ]


def time_to_resolve(row: IncidentRow, include_not_incidents: bool = False) -> float | None:
    """Declared to the latest resolution; None for a false alarm or a duplicate
    (`rules.not_an_incident`) unless `include_not_incidents`."""
    if not include_not_incidents and not_an_incident(row.resolution):
        return None
    return _between(row.declared_at, row.resolved_at)


def time_to_close(row: IncidentRow) -> float | None:
    """Declared to closed."""
    return _between(row.declared_at, row.closed_at)


def time_to_detect(row: IncidentRow) -> float | None:
    """From when the impact began to when someone noticed (both known)."""
    return None if row.started_at is None else _between(row.started_at, row.detected_at)


def time_to_declare(row: IncidentRow) -> float | None:
    """From when someone noticed to the declaration (detection known)."""
    return None if row.detected_at is None else _seconds(row.detected_at, row.declared_at)


@dataclass(frozen=True, slots=True)
class FollowUpMetrics:
    """How follow-up actions are being tracked to completion."""

    total: int
    completed: int
    completed_on_time: int
    open: int
    overdue: int
    median_days_to_complete: float | None
    # Cancelled follow-ups (issue 11) count neither as completed nor as open.
    cancelled: int = 0

    @property
    def on_time_ratio(self) -> float | None:
        """Share of completed follow-ups done by their due date."""
        return None if self.completed == 0 else self.completed_on_time / self.completed


def compute_follow_up_metrics(rows: Iterable[FollowUpRow], *, today: date) -> FollowUpMetrics:
    """Completion, timeliness and backlog of follow-ups."""
    rows = list(rows)
    done = [r for r in rows if r.completed_at is not None]
    days = [(r.completed_at - r.added_at).total_seconds() / 86_400 for r in done if r.completed_at]
    return FollowUpMetrics(
        total=len(rows),
        completed=len(done),
        completed_on_time=sum(1 for r in done if r.completed_on_time),
        open=sum(1 for r in rows if r.status == "open"),
        overdue=sum(1 for r in rows if r.overdue(today)),
        median_days_to_complete=statistics.median(days) if days else None,
        cancelled=sum(1 for r in rows if r.status == "cancelled"),
    )


def count_by_service(rows: Iterable[IncidentRow]) -> dict[str, int]:
    """Incidents per affected service (an incident counts once for each of its services)."""
    return dict(sorted(Counter(s for r in rows for s in r.services).items()))


def count_by_factor_category(rows: Iterable[IncidentRow]) -> dict[str, int]:
    """Incidents per contributing-factor category, so recurring causes stand out."""
    counts = Counter(c for r in rows for c in r.factor_categories)
    return {c.value: counts.get(c.value, 0) for c in FactorCategory}


def cadence_compliance(rows: Iterable[IncidentRow], *, now: datetime) -> CadenceCompliance:
    """Closed intervals as recorded, plus each open incident's current stretch if it is due."""
    intervals = within = 0
    for row in rows:
        intervals += row.customer_update_intervals
        within += row.customer_update_intervals_met
        if row.status == Status.OPEN.value and row.next_customer_update_due is not None:
            intervals += 1
            within += 1 if now <= row.next_customer_update_due else 0
    return CadenceCompliance(intervals=intervals, within_cadence=within)


def cadence_by_severity(
    rows: Iterable[IncidentRow], *, now: datetime, basis: SeverityBasis = SeverityBasis.PEAK
) -> dict[str, CadenceCompliance]:
    """Cadence compliance of the incidents of each severity on `basis` (P1 to P4, always all):
    every interval of an incident counts under that one severity."""
    rows = list(rows)
    return {
        s.value: cadence_compliance((r for r in rows if severity_of(r, basis) == s.value), now=now)
        for s in Severity
    }


def recurring_services(rows: Iterable[IncidentRow]) -> dict[str, int]:
    """Services named by two incidents or more, the most incidents first (then by name)."""
    counts = Counter(s for r in rows for s in r.services)
    recurring = [(service, n) for service, n in counts.items() if n > 1]
    return dict(sorted(recurring, key=lambda item: (-item[1], item[0])))


def _stats(seconds: Iterable[float | None]) -> DurationStats:
    return DurationStats.of([s for s in seconds if s is not None])


def _between(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else _seconds(start, end)


def _severity_keys() -> list[str]:
    return [s.value for s in Severity] + ["unclassified"]


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def _nearest_rank(ordered: Sequence[float], quantile: float) -> float:
    # Nearest-rank percentile: an observed value, never an interpolation between two.
    # round() keeps float noise (0.9 * 10 = 9.000000000000002) from moving up a rank.
    rank = math.ceil(round(quantile * len(ordered), 9))
    return ordered[max(rank, 1) - 1]
