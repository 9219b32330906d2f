"""Request and response bodies of the post-incident review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.incident_api.schemas import IncidentCommandResult, Name, Text
from shared.domain.incident import Incident
from shared.domain.review import FactorCategory
from shared.domain.values import TEXT_MAX_CHARS, TITLE_MAX_CHARS

DueDate = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-\d{2}-\d{2}$")]


class ReviewCommand(BaseModel):
    """Base of the review's request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class PostmortemStart(ReviewCommand):
    """Start the review."""

    facilitator: Name


class RootCause(ReviewCommand):
    """Record the root cause."""

    text: Text


class ContributingFactor(ReviewCommand):
    """Add a contributing factor."""

    text: Text
    category: FactorCategory


class Recommendation(ReviewCommand):
    """Add a preventive recommendation."""

    text: Text


class FollowUpCreate(ReviewCommand):
    """Add a follow-up action."""

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_CHARS)
    ]
    owner: Name
    due_date: DueDate = Field(description="YYYY-MM-DD")
    ticket: Name | None = None


class FollowUpComplete(ReviewCommand):
    """Complete a follow-up."""

    note: Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS)] | None = None


class FollowUpReassign(ReviewCommand):
    """Give a follow-up to someone else."""

    owner: Name


class FollowUpDueDate(ReviewCommand):
    """Move a follow-up's due date."""

    due_date: DueDate
    reason: Text


class PostmortemPublish(ReviewCommand):
    """Publish the review."""

    no_follow_up_reason: Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS)] | None = None


class FollowUpRead(BaseModel):
    """A follow-up action as the review holds it."""

    id: str
    title: str
    owner: str
    due_date: str
    ticket: str | None
    status: str
    added_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    completion_note: str | None


class ReviewRead(BaseModel):
    """The post-incident review."""

    status: str
    required: bool
    pending: bool
    facilitator: str | None
    started_at: datetime | None
    root_cause: str | None
    contributing_factors: list[dict[str, str]]
    recommendations: list[str]
    follow_ups: list[FollowUpRead]
    no_follow_up_reason: str | None
    published_at: datetime | None

    @classmethod
    def of(cls, incident: Incident) -> ReviewRead:
        """The review of an incident aggregate."""
        review = incident.review
        return cls(
            status=review.status,
            required=incident.postmortem_required,
            pending=incident.review_pending,
            facilitator=review.facilitator,
            started_at=review.started_at,
            root_cause=review.root_cause,
            contributing_factors=review.contributing_factors,
            recommendations=review.recommendations,
            follow_ups=[
                FollowUpRead(
                    id=f.id,
                    title=f.title,
                    owner=f.owner,
                    due_date=f.due_date,
                    ticket=f.ticket,
                    status="done" if f.done else "open",
                    added_at=f.added_at,
                    completed_at=f.completed_at,
                    completed_by=f.completed_by,
                    completion_note=f.completion_note,
                )
                for f in review.follow_ups.values()
            ],
            no_follow_up_reason=review.no_follow_up_reason,
            published_at=review.published_at,
        )


class ReviewCommandResult(IncidentCommandResult):
    """The incident after a review command, with the review and, for a new follow-up, its id."""

    review: ReviewRead
    follow_up_id: str | None = None


class PostmortemRead(BaseModel):
    """The review with the incident it belongs to."""

    incident_id: str
    reference: str
    title: str
    version: int
    review: ReviewRead
