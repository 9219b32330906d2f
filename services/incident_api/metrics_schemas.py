"""Response bodies of `GET /v1/metrics/incidents`; every figure is defined in docs/metrics.md."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.incident_api.incident_metrics import CadenceCompliance, DurationStats
from services.incident_api.metric_trends import Figures, Period
from services.incident_api.schemas import copied


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
        return copied(cls, compliance)


class FollowUpMetricsRead(BaseModel):
    """Follow-up actions of the incidents counted."""

    total: int
    completed: int
    completed_on_time: int = Field(
        description="Completed on or before the follow-up's first due date."
    )
    on_time_ratio: float | None
    open: int
    overdue: int
    median_days_to_complete: float | None
    cancelled: int = Field(description="Cancelled: neither completed nor open.")


class WindowRead(BaseModel):
    """What the answer covers."""

    since: datetime
    until: datetime
    severity: str | None
    severity_basis: str = Field(description="peak or current: what severity and by_severity use.")
    bucket: str | None = Field(description="week or month: the size of the trends' buckets.")


class FiguresRead(BaseModel):
    """The figures of a set of incidents: the window's, or one bucket's."""

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
    time_to_hand_over: DurationRead = Field(
        description="Per shift change under a role holder: from the handover due to the "
        "role's next assignment (handovers done)."
    )
    update_cadence: CadenceRead
    update_cadence_by_severity: dict[str, CadenceRead] = Field(
        description="Cadence compliance of the incidents of each severity (P1 to P4)."
    )
    reopens: int
    reopened_incidents: int
    reviews_pending: int
    follow_ups: FollowUpMetricsRead
    by_service: dict[str, int]
    by_factor_category: dict[str, int]

    @staticmethod
    def fields_of(figures: Figures) -> dict[str, object]:
        """The fields of computed figures, as this model takes them."""
        metrics = figures.incidents
        return {
            **{name: getattr(metrics, name) for name in _COUNTS},
            **{name: DurationRead.of(getattr(metrics, name)) for name in _DURATIONS},
            "update_cadence": CadenceRead.of(metrics.update_cadence),
            "update_cadence_by_severity": {
                severity: CadenceRead.of(compliance)
                for severity, compliance in figures.update_cadence_by_severity.items()
            },
            "follow_ups": copied(FollowUpMetricsRead, figures.follow_ups),
            "by_service": figures.by_service,
            "by_factor_category": figures.by_factor_category,
        }


_COUNTS = (
    "incidents",
    "by_severity",
    "by_status",
    "reopens",
    "reopened_incidents",
    "reviews_pending",
)
_DURATIONS = (
    "time_to_acknowledge",
    "time_to_resolve",
    "time_to_close",
    "time_to_detect",
    "time_to_declare",
    "time_to_hand_over",
)


class PeriodRead(BaseModel):
    """Which bucket."""

    bucket: str = Field(description="The week (2026-W45, ISO) or month (2026-11), in UTC.")
    start: datetime = Field(description="The bucket's start, or since if that is later.")
    end: datetime = Field(description="The bucket's end (exclusive), or until if that is earlier.")


class TrendRead(FiguresRead, PeriodRead):
    """The figures of the incidents declared in one bucket of the window."""

    @classmethod
    def of(cls, period: Period, figures: Figures) -> TrendRead:
        """From a bucket and its figures."""
        return cls.model_validate(
            {
                "bucket": period.label,
                "start": period.start,
                "end": period.end,
                **cls.fields_of(figures),
            }
        )


class MetricsRead(FiguresRead, WindowRead):
    """Incident metrics over a window of declaration times; see docs/metrics.md."""

    recurring_services: dict[str, int] = Field(
        description="Services named by two incidents or more, the most incidents first."
    )
    trends: list[TrendRead] = Field(
        description="With bucket: the figures of each week or month of the window, in order."
    )

    @classmethod
    def of(
        cls,
        window: WindowRead,
        figures: Figures,
        *,
        recurring_services: dict[str, int],
        trends: list[TrendRead],
    ) -> MetricsRead:
        """From the window, its figures and its trends."""
        return cls.model_validate(
            {
                **window.model_dump(),
                **cls.fields_of(figures),
                "recurring_services": recurring_services,
                "trends": trends,
            }
        )
