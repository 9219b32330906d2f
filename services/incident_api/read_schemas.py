"""Response bodies of the queries, built from read-model rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.incident_api.incident_metrics import (
    DurationStats,
    FollowUpMetrics,
    IncidentMetrics,
)
from services.incident_api.schemas import IncidentRead, copied
from shared.readmodels.incidents import IncidentRow


class IncidentView(IncidentRead):
    """An incident as the read model holds it: its state plus the figures dashboards need."""

    ic_assigned_at: datetime | None
    reopen_count: int
    last_customer_update_at: datetime | None
    next_customer_update_due: datetime | None
    update_overdue: bool = Field(description="Open, and the next customer update is past due.")
    postmortem_status: str = Field(description="The review: none, started or published.")
    postmortem_required: bool = Field(
        description="Incidents that were ever P1 or P2 (peak_severity) need a published review."
    )
    review_pending: bool = Field(description="A review is required and not published yet.")
    position: int = Field(description="Log position of the incident's latest event.")

    @classmethod
    def from_row(cls, row: IncidentRow, *, now: datetime) -> IncidentView:
        """The view of a read-model row at time `now`."""
        due = row.next_customer_update_due
        return copied(
            cls, row, update_overdue=row.status == "open" and due is not None and due < now
        )


class IncidentPageRead(BaseModel):
    """A page of incidents; pass next_cursor back as `cursor` for the next one."""

    items: list[IncidentView]
    next_cursor: str | None


class TimelineEntryRead(BaseModel):
    """One event of the timeline."""

    position: int
    version: int
    occurred_at: datetime
    actor: str | None
    type: str
    summary: str
    data: dict[str, Any]
    added_later: bool = Field(
        description="Something that happened outside the tool, recorded afterwards: it is "
        "placed at occurred_at; added_at says when it was recorded, actor by whom."
    )
    added_at: datetime | None = Field(description="When an entry added later was recorded.")


class TimelineRead(BaseModel):
    """An incident's timeline in the order things happened: the events in the order they
    were recorded, with entries added later placed at their occurred_at."""

    incident_id: UUID
    reference: str
    items: list[TimelineEntryRead]


class DurationRead(BaseModel):
    """Durations in seconds."""

    count: int
    mean_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None

    @classmethod
    def of(cls, stats: DurationStats) -> DurationRead:
        """From computed stats."""
        return cls(
            count=stats.count,
            mean_seconds=stats.mean,
            median_seconds=stats.median,
            p90_seconds=stats.p90,
        )


class CadenceRead(BaseModel):
    """Customer-update cadence compliance."""

    intervals: int
    within_cadence: int
    ratio: float | None


class FollowUpMetricsRead(BaseModel):
    """Follow-up actions of the incidents in the window."""

    total: int
    completed: int
    completed_on_time: int
    on_time_ratio: float | None
    open: int
    overdue: int
    median_days_to_complete: float | None
    cancelled: int = Field(description="Cancelled: neither completed nor open.")


class MetricsRead(BaseModel):
    """Incident metrics over a window of declaration times; see docs/metrics.md."""

    since: datetime
    until: datetime
    severity: str | None
    severity_basis: str = Field(description="peak or current: what severity and by_severity use.")
    incidents: int
    by_severity: dict[str, int]
    by_status: dict[str, int]
    time_to_acknowledge: DurationRead
    time_to_resolve: DurationRead
    time_to_close: DurationRead
    time_to_detect: DurationRead = Field(
        description="From when the impact began to when someone noticed (both known)."
    )
    time_to_declare: DurationRead = Field(
        description="From when someone noticed to the declaration (detection known)."
    )
    update_cadence: CadenceRead
    reopens: int
    reopened_incidents: int
    reviews_pending: int
    follow_ups: FollowUpMetricsRead
    by_service: dict[str, int]
    by_factor_category: dict[str, int]

    @classmethod
    def of(
        cls,
        metrics: IncidentMetrics,
        *,
        since: datetime,
        until: datetime,
        severity: str | None,
        severity_basis: str,
        follow_ups: FollowUpMetrics,
        by_service: dict[str, int],
        by_factor_category: dict[str, int],
    ) -> MetricsRead:
        """From computed metrics and the window they cover."""
        return copied(
            cls,
            metrics,
            since=since,
            until=until,
            severity=severity,
            severity_basis=severity_basis,
            time_to_acknowledge=DurationRead.of(metrics.time_to_acknowledge),
            time_to_resolve=DurationRead.of(metrics.time_to_resolve),
            time_to_close=DurationRead.of(metrics.time_to_close),
            time_to_detect=DurationRead.of(metrics.time_to_detect),
            time_to_declare=DurationRead.of(metrics.time_to_declare),
            follow_ups=follow_ups,
            by_service=by_service,
            by_factor_category=by_factor_category,
        )
