"""Correcting the post-incident review (issue 11): edit or withdraw a contributing factor or a
recommendation, cancel a follow-up, and amend a published review to reopen it for edits.

A published review is read-only for its findings (root cause, factors, recommendations, new
follow-ups) until it is amended; follow-ups are still tracked to completion (completed,
reassigned, rescheduled or cancelled) after it is published. Each correction is one event; the
log keeps what was said before.
"""

from __future__ import annotations

from shared.domain import arguments
from shared.domain.errors import (
    FindingNotFoundError,
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
)
from shared.domain.events import (
    ContributingFactorEdited,
    ContributingFactorWithdrawn,
    FollowUpCancelled,
    PostmortemAmended,
    RecommendationEdited,
    RecommendationWithdrawn,
)
from shared.domain.review import FactorCategory, ReviewStatus
from shared.domain.reviewing import Reviewing
from shared.domain.values import TEXT_MAX_CHARS, Actor


class ReviewCorrections(Reviewing):
    """The commands that correct what the review recorded."""

    def edit_contributing_factor(
        self, actor: Actor, *, factor_id: str, text: str | None = None, category: str | None = None
    ) -> None:
        """Correct a factor's text or category (at least one changes)."""
        factor = self._factor(factor_id)
        self._authorize_finding_editor(actor)
        if text is None and category is None:
            raise InvalidFieldError("text", "give the new text, the new category or both")
        new_text = factor["text"] if text is None else arguments.text("text", text, TEXT_MAX_CHARS)
        new_category = (
            factor["category"]
            if category is None
            else arguments.member("category", category, FactorCategory)
        )
        if (new_text, new_category) == (factor["text"], factor["category"]):
            raise NoChangeError(f"contributing factor {factor_id} already reads so")
        self.trigger_event(
            ContributingFactorEdited,
            factor_id=factor_id,
            text=new_text,
            category=new_category,
            previous_text=factor["text"],
            previous_category=factor["category"],
            actor=actor.principal,
        )

    def withdraw_contributing_factor(self, actor: Actor, *, factor_id: str, reason: str) -> None:
        """Withdraw a factor that turned out wrong, with the reason."""
        factor = self._factor(factor_id)
        self._authorize_finding_editor(actor)
        self.trigger_event(
            ContributingFactorWithdrawn,
            factor_id=factor_id,
            text=factor["text"],
            category=factor["category"],
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def edit_recommendation(self, actor: Actor, *, recommendation_id: str, text: str) -> None:
        """Correct a recommendation's text."""
        recommendation = self._recommendation(recommendation_id)
        self._authorize_finding_editor(actor)
        new_text = arguments.text("text", text, TEXT_MAX_CHARS)
        if new_text == recommendation["text"]:
            raise NoChangeError(f"recommendation {recommendation_id} already reads so")
        self.trigger_event(
            RecommendationEdited,
            recommendation_id=recommendation_id,
            text=new_text,
            previous_text=recommendation["text"],
            actor=actor.principal,
        )

    def withdraw_recommendation(self, actor: Actor, *, recommendation_id: str, reason: str) -> None:
        """Withdraw a recommendation, with the reason."""
        recommendation = self._recommendation(recommendation_id)
        self._authorize_finding_editor(actor)
        self.trigger_event(
            RecommendationWithdrawn,
            recommendation_id=recommendation_id,
            text=recommendation["text"],
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def cancel_follow_up(self, actor: Actor, *, follow_up_id: str, reason: str) -> None:
        """Cancel a follow-up that is no longer needed: it counts neither as done nor open."""
        follow_up = self._open_follow_up(follow_up_id)
        self._authorize_reviewer(actor)
        self.trigger_event(
            FollowUpCancelled,
            follow_up_id=follow_up.id,
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def amend_postmortem(self, actor: Actor, *, reason: str) -> None:
        """Reopen a published review for edits, with the reason; it is published again later."""
        self._authorize_reviewer(actor)
        if self.review.status != ReviewStatus.PUBLISHED:
            raise IllegalTransitionError(
                self.id, "postmortem-not-published", "only a published review can be amended"
            )
        self.trigger_event(
            PostmortemAmended,
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def _factor(self, factor_id: str) -> dict[str, str]:
        for factor in self.review.contributing_factors:
            if factor.get("id") == factor_id:
                return factor
        raise FindingNotFoundError(self.id, "contributing-factor", factor_id)

    def _recommendation(self, recommendation_id: str) -> dict[str, str]:
        review = self.review
        if recommendation_id in review.recommendation_ids:
            text = review.recommendations[review.recommendation_ids.index(recommendation_id)]
            return {"id": recommendation_id, "text": text}
        raise FindingNotFoundError(self.id, "recommendation", recommendation_id)
