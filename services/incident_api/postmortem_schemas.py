"""Request and response bodies of the post-incident review."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field

from services.incident_api.commands import (
    AddContributingFactor,
    AddFollowUp,
    AddRecommendation,
    AmendPostmortem,
    CancelFollowUp,
    ChangeFollowUpDueDate,
    CompleteFollowUp,
    EditContributingFactor,
    EditRecommendation,
    PublishPostmortem,
    ReassignFollowUp,
    RecordRootCause,
    StartPostmortem,
    WithdrawContributingFactor,
    WithdrawRecommendation,
)
from services.incident_api.incident_service import CommandOutcome
from services.incident_api.schemas import (
    CommandBody,
    IncidentCommandResult,
    body_fields,
    copied,
)
from shared.domain.incident import Incident

FOLLOW_UP = ("follow_up_id",)
"""The path names the follow-up a command is about; its body does not."""
FACTOR = ("factor_id",)
"""The path names the contributing factor (by its number)."""
RECOMMENDATION = ("recommendation_id",)
"""The path names the recommendation (by its number)."""


class PostmortemStart(CommandBody):
    command = StartPostmortem
    __annotations__ = body_fields(command)


class RootCause(CommandBody):
    command = RecordRootCause
    __annotations__ = body_fields(command)


class ContributingFactor(CommandBody):
    command = AddContributingFactor
    __annotations__ = body_fields(command)


class Recommendation(CommandBody):
    command = AddRecommendation
    __annotations__ = body_fields(command)


class FollowUpCreate(CommandBody):
    command = AddFollowUp
    __annotations__ = body_fields(command)


class FollowUpComplete(CommandBody):
    command = CompleteFollowUp
    __annotations__ = body_fields(command, path=FOLLOW_UP)


class FollowUpReassign(CommandBody):
    command = ReassignFollowUp
    __annotations__ = body_fields(command, path=FOLLOW_UP)


class FollowUpDueDate(CommandBody):
    command = ChangeFollowUpDueDate
    __annotations__ = body_fields(command, path=FOLLOW_UP)


class PostmortemPublish(CommandBody):
    command = PublishPostmortem
    __annotations__ = body_fields(command)


class ContributingFactorEdit(CommandBody):
    """Give `text`, `category` or both; a field left out keeps its value."""

    command = EditContributingFactor
    __annotations__ = body_fields(command, path=FACTOR)


class ContributingFactorWithdraw(CommandBody):
    command = WithdrawContributingFactor
    __annotations__ = body_fields(command, path=FACTOR)


class RecommendationEdit(CommandBody):
    command = EditRecommendation
    __annotations__ = body_fields(command, path=RECOMMENDATION)


class RecommendationWithdraw(CommandBody):
    command = WithdrawRecommendation
    __annotations__ = body_fields(command, path=RECOMMENDATION)


class FollowUpCancel(CommandBody):
    command = CancelFollowUp
    __annotations__ = body_fields(command, path=FOLLOW_UP)


class PostmortemAmend(CommandBody):
    command = AmendPostmortem
    __annotations__ = body_fields(command)


class FollowUpRead(BaseModel):
    """A follow-up action as the review holds it."""

    id: str
    title: str
    owner: str
    due_date: str
    ticket: str | None
    status: str = Field(description="open, done, or cancelled (neither done nor open).")
    added_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    completion_note: str | None
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    original_due_date: str | None = Field(
        description="The first due date; on time is measured against it."
    )
    due_date_changes: int = Field(description="How often the due date was moved.")


class AmendmentRead(BaseModel):
    """A published review reopened for edits."""

    at: datetime
    by: str
    reason: str


class ReviewRead(BaseModel):
    """The post-incident review."""

    status: str
    required: bool
    pending: bool
    facilitator: str | None
    started_at: datetime | None
    root_cause: str | None
    contributing_factors: list[dict[str, str]] = Field(
        description="Each with its number (`id`, for PATCH and DELETE), text and category; "
        "withdrawn ones are left out."
    )
    recommendations: list[str]
    recommendation_ids: list[str] = Field(
        description="The number of each recommendation, in the order of `recommendations`."
    )
    follow_ups: list[FollowUpRead]
    no_follow_up_reason: str | None
    published_at: datetime | None = Field(description="The latest publication.")
    amendments: list[AmendmentRead]

    @classmethod
    def of(cls, incident: Incident) -> ReviewRead:
        """The review of an incident aggregate."""
        review = incident.review
        return copied(
            cls,
            review,
            required=incident.postmortem_required,
            pending=incident.review_pending,
            follow_ups=[
                copied(FollowUpRead, f, status=f.status) for f in review.follow_ups.values()
            ],
            amendments=[AmendmentRead.model_validate(a) for a in review.amendments],
        )


class ReviewCommandResult(IncidentCommandResult):
    """The incident after a review command, with the review and, for a new follow-up, its id."""

    review: ReviewRead
    follow_up_id: str | None = None

    @classmethod
    def from_outcome(cls, outcome: CommandOutcome) -> Self:
        """The answer to a review command; `follow_up_id` is set when it added one."""
        return cls.of(
            outcome.incident,
            position=outcome.position,
            review=ReviewRead.of(outcome.incident),
            follow_up_id=outcome.result,
        )


class PostmortemRead(BaseModel):
    """The review with the incident it belongs to."""

    incident_id: str
    reference: str
    title: str
    version: int
    review: ReviewRead
