"""Response bodies of the queries, built from read-model rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.incident_api.schemas import IncidentRead, TicketRead
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.metrics import (
    CadenceCompliance,
    DurationStats,
    FollowUpMetrics,
    IncidentMetrics,
)
from shared.readmodels.timeline import TimelineEntry


class IncidentView(IncidentRead):
    """An incident as the read model holds it: its state plus the figures dashboards need."""

    ic_assigned_at: datetime | None
    reopen_count: int
    last_customer_update_at: datetime | None
    next_customer_update_due: datetime | None
    update_overdue: bool = Field(description="Open, and the next customer update is past due.")
    postmortem_status: str = Field(description="The review: none, started or published.")
    postmortem_required: bool = Field(description="P1 and P2 incidents need a published review.")
    review_pending: bool = Field(description="A review is required and not published yet.")
    position: int = Field(description="Log position of the incident's latest event.")

    @classmethod
    def from_row(cls, row: IncidentRow, *, now: datetime) -> IncidentView:
        """The view of a read-model row at time `now`."""
        due = row.next_customer_update_due
        return cls(
            id=row.id,
            number=row.number,
            reference=row.reference,
            title=row.title,
            description=row.description,
            status=row.status,
            severity=row.severity,
            criteria=row.criteria,
            services=row.services,
            owner=row.owner,
            acting_commander=row.acting_commander,
            roles=row.roles,
            impact=row.impact,
            scope=row.scope,
            tickets=[TicketRead.model_validate(t) for t in row.tickets],
            resolution=row.resolution,
            resolution_summary=row.resolution_summary,
            declared_by=row.declared_by,
            declared_at=row.declared_at,
            updated_at=row.updated_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            version=row.version,
            ic_assigned_at=row.ic_assigned_at,
            reopen_count=row.reopen_count,
            last_customer_update_at=row.last_customer_update_at,
            next_customer_update_due=due,
            update_overdue=row.status == "open" and due is not None and due < now,
            postmortem_status=row.postmortem_status,
            postmortem_required=row.postmortem_required,
            review_pending=row.review_pending,
            position=row.position,
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

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryRead:
        """The representation of a timeline row."""
        return cls(
            position=entry.position,
            version=entry.version,
            occurred_at=entry.occurred_at,
            actor=entry.actor,
            type=entry.type,
            summary=entry.summary,
            data=entry.data,
        )


class TimelineRead(BaseModel):
    """An incident's timeline, oldest first."""

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

    @classmethod
    def of(cls, compliance: CadenceCompliance) -> CadenceRead:
        """From computed compliance."""
        return cls(
            intervals=compliance.intervals,
            within_cadence=compliance.within_cadence,
            ratio=compliance.ratio,
        )


class FollowUpMetricsRead(BaseModel):
    """Follow-up actions of the incidents in the window."""

    total: int
    completed: int
    completed_on_time: int
    on_time_ratio: float | None
    open: int
    overdue: int
    median_days_to_complete: float | None

    @classmethod
    def of(cls, metrics: FollowUpMetrics) -> FollowUpMetricsRead:
        """From computed follow-up metrics."""
        return cls(
            total=metrics.total,
            completed=metrics.completed,
            completed_on_time=metrics.completed_on_time,
            on_time_ratio=metrics.on_time_ratio,
            open=metrics.open,
            overdue=metrics.overdue,
            median_days_to_complete=metrics.median_days_to_complete,
        )


class MetricsRead(BaseModel):
    """Incident metrics over a window of declaration times; see docs/metrics.md."""

    since: datetime
    until: datetime
    severity: str | None
    incidents: int
    by_severity: dict[str, int]
    by_status: dict[str, int]
    time_to_acknowledge: DurationRead
    time_to_resolve: DurationRead
    time_to_close: DurationRead
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
        follow_ups: FollowUpMetrics,
        by_service: dict[str, int],
        by_factor_category: dict[str, int],
    ) -> MetricsRead:
        """From computed metrics and the window they cover."""
        return cls(
            since=since,
            until=until,
            severity=severity,
            incidents=metrics.incidents,
            by_severity=metrics.by_severity,
            by_status=metrics.by_status,
            time_to_acknowledge=DurationRead.of(metrics.time_to_acknowledge),
            time_to_resolve=DurationRead.of(metrics.time_to_resolve),
            time_to_close=DurationRead.of(metrics.time_to_close),
            update_cadence=CadenceRead.of(metrics.update_cadence),
            reopens=metrics.reopens,
            reopened_incidents=metrics.reopened_incidents,
            reviews_pending=metrics.reviews_pending,
            follow_ups=FollowUpMetricsRead.of(follow_ups),
            by_service=by_service,
            by_factor_category=by_factor_category,
        )
