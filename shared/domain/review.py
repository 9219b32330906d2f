"""The post-incident review's state: its status, its findings and its follow-up actions.

The review lives on the Incident aggregate (one stream, so the timeline, the webhooks and the
post-mortem see it in order with everything else). Its events are in `shared.domain.events`,
its commands in `shared.domain.reviewing`; snapshots store these dataclasses field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FactorCategory(StrEnum):
    """Where a contributing factor came from; a small set so recurring causes can be counted."""

    DETECTION = "detection"
    PROCESS = "process"
    CHANGE = "change"
    CAPACITY = "capacity"
    DEPENDENCY = "dependency"
    OTHER = "other"


class ReviewStatus(StrEnum):
    """Where the review is: not started, started, or published (an amended review is
    started again until it is published anew)."""

    NONE = "none"
    STARTED = "started"
    PUBLISHED = "published"


@dataclass
class FollowUp:
    """An action to take after the incident, tracked to completion."""

    id: str
    title: str
    owner: str
    due_date: str
    ticket: str | None
    added_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    completion_note: str | None = None
    # Added in class version 6 (issue 11): a cancelled follow-up is neither done nor open.
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    # Added in class version 7 (issue 11): the first due date, how often it moved, and the due
    # date a FollowUpOverdue was recorded for.
    original_due_date: str | None = None
    due_date_changes: int = 0
    overdue_for: str | None = None

    @property
    def done(self) -> bool:
        """Whether the follow-up has been completed."""
        return self.completed_at is not None

    @property
    def cancelled(self) -> bool:
        """Whether the follow-up was cancelled (no longer needed)."""
        return self.cancelled_at is not None

    @property
    def status(self) -> str:
        """`done`, `cancelled` or `open`."""
        return "done" if self.done else "cancelled" if self.cancelled else "open"


@dataclass
class Review:
    """Everything the review has recorded so far."""

    status: str = ReviewStatus.NONE.value
    facilitator: str | None = None
    started_at: datetime | None = None
    root_cause: str | None = None
    contributing_factors: list[dict[str, str]] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)
    no_follow_up_reason: str | None = None
    published_at: datetime | None = None
    # Added in class version 6 (issue 11). Factors (`contributing_factors` items' "id") and
    # recommendations (`recommendation_ids`, in step with `recommendations`) are numbered
    # "1", "2", ... in the order added; a withdrawn one leaves its list, its number is not reused.
    factors_added: int = 0
    recommendations_added: int = 0
    recommendation_ids: list[str] = field(default_factory=list)
    # Each amendment of a published review: {"at": ISO time, "by": actor, "reason": ...}.
    amendments: list[dict[str, str]] = field(default_factory=list)
