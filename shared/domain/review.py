"""The post-incident review (seed section 9): its state and its events.

The review lives on the Incident aggregate (one stream, so the timeline, the webhooks and the
post-mortem see it in order with everything else); this module keeps its parts together.
Event `apply` methods only change state: they run again on every replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import Aggregate


class FactorCategory(StrEnum):
    """Where a contributing factor came from; a small set so recurring causes can be counted."""

    DETECTION = "detection"
    PROCESS = "process"
    CHANGE = "change"
    CAPACITY = "capacity"
    DEPENDENCY = "dependency"
    OTHER = "other"


class ReviewStatus(StrEnum):
    """Where the review is: not started, started, or published."""

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

    @property
    def done(self) -> bool:
        """Whether the follow-up has been completed."""
        return self.completed_at is not None


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


def _review(aggregate: Aggregate) -> Review:
    # Typed loosely because this module cannot import Incident (which imports it).
    review: Review = aggregate.review  # type: ignore[attr-defined]
    return review


class PostmortemStarted(Aggregate.Event):
    """The review began, led by a facilitator."""

    TOPIC = "irm:Incident.PostmortemStarted"
    facilitator: str
    actor: str
    break_glass: bool

    def apply(self, aggregate: Aggregate) -> None:
        review = _review(aggregate)
        review.status = ReviewStatus.STARTED.value
        review.facilitator = self.facilitator
        review.started_at = self.timestamp


class RootCauseRecorded(Aggregate.Event):
    """The root cause as understood now; a later one supersedes it, history stays."""

    TOPIC = "irm:Incident.RootCauseRecorded"
    text: str
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        _review(aggregate).root_cause = self.text


class ContributingFactorAdded(Aggregate.Event):
    """Something that made the incident possible or worse."""

    TOPIC = "irm:Incident.ContributingFactorAdded"
    text: str
    category: str
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        factor = {"text": self.text, "category": self.category}
        _review(aggregate).contributing_factors.append(factor)


class RecommendationAdded(Aggregate.Event):
    """A preventive recommendation."""

    TOPIC = "irm:Incident.RecommendationAdded"
    text: str
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        _review(aggregate).recommendations.append(self.text)


class FollowUpAdded(Aggregate.Event):
    """A follow-up action with an owner and a due date."""

    TOPIC = "irm:Incident.FollowUpAdded"
    follow_up_id: str
    title: str
    owner: str
    due_date: str
    ticket: str | None
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        _review(aggregate).follow_ups[self.follow_up_id] = FollowUp(
            id=self.follow_up_id,
            title=self.title,
            owner=self.owner,
            due_date=self.due_date,
            ticket=self.ticket,
            added_at=self.timestamp,
        )


class FollowUpCompleted(Aggregate.Event):
    """A follow-up was done."""

    TOPIC = "irm:Incident.FollowUpCompleted"
    follow_up_id: str
    note: str | None
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        follow_up = _review(aggregate).follow_ups[self.follow_up_id]
        follow_up.completed_at = self.timestamp
        follow_up.completed_by = self.actor
        follow_up.completion_note = self.note


class FollowUpReassigned(Aggregate.Event):
    """A follow-up changed owner."""

    TOPIC = "irm:Incident.FollowUpReassigned"
    follow_up_id: str
    owner: str
    previous_owner: str
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        _review(aggregate).follow_ups[self.follow_up_id].owner = self.owner


class FollowUpDueDateChanged(Aggregate.Event):
    """A follow-up's due date moved, with the reason."""

    TOPIC = "irm:Incident.FollowUpDueDateChanged"
    follow_up_id: str
    due_date: str
    previous_due_date: str
    reason: str
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        _review(aggregate).follow_ups[self.follow_up_id].due_date = self.due_date


class PostmortemPublished(Aggregate.Event):
    """The review is done and shared."""

    TOPIC = "irm:Incident.PostmortemPublished"
    no_follow_up_reason: str | None
    actor: str

    def apply(self, aggregate: Aggregate) -> None:
        review = _review(aggregate)
        review.status = ReviewStatus.PUBLISHED.value
        review.no_follow_up_reason = self.no_follow_up_reason
        review.published_at = self.timestamp
