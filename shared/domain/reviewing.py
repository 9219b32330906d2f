"""The post-incident review's commands: started by the IC once the incident is resolved or
closed, then written by its facilitator or the acting IC (a follow-up also by its owner).

Every review command waits while a reviewed incident is reopened: `incident-not-resolved`
until it is resolved again. Closing does not stop the review. A published review's findings
(root cause, factors, recommendations, new follow-ups) wait for an amendment
(`postmortem-published`); its follow-ups are tracked to completion all the same.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from shared.domain import arguments
from shared.domain.errors import FollowUpNotFoundError, IllegalTransitionError, NoChangeError
from shared.domain.events import (
    ContributingFactorAdded,
    FollowUpAdded,
    FollowUpCompleted,
    FollowUpDueDateChanged,
    FollowUpOverdue,
    FollowUpReassigned,
    PostmortemPublished,
    PostmortemStarted,
    RecommendationAdded,
    RootCauseRecorded,
)
from shared.domain.review import FactorCategory, FollowUp, ReviewStatus
from shared.domain.roles import RolesAndAuthority
from shared.domain.rules import postmortem_required, review_pending
from shared.domain.values import NAME_MAX_CHARS, TEXT_MAX_CHARS, TITLE_MAX_CHARS, Actor, Status


class Reviewing(RolesAndAuthority):
    """The commands of the post-incident review."""

    @property
    def postmortem_required(self) -> bool:
        """Incidents that were ever P1 or P2 need a published review, unless resolved as a
        false alarm or a duplicate."""
        return postmortem_required(self.peak_severity, self.resolution)

    @property
    def review_pending(self) -> bool:
        """A required review that is not published yet."""
        return review_pending(self.peak_severity, self.resolution, self.review.status)

    def start_postmortem(self, actor: Actor, *, facilitator: str) -> None:
        """Start the review of a resolved or closed incident, led by a facilitator."""
        self._check_fire_is_out()
        if self.review.status != ReviewStatus.NONE:
            raise IllegalTransitionError(
                self.id, "postmortem-already-started", f"{self.reference} already has a review"
            )
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            PostmortemStarted,
            facilitator=arguments.text("facilitator", facilitator, NAME_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    def record_root_cause(self, actor: Actor, *, text: str) -> None:
        """Record the root cause; a later one supersedes it and both stay on the record."""
        self._authorize_finding_editor(actor)
        self.trigger_event(
            RootCauseRecorded,
            text=arguments.text("text", text, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def add_contributing_factor(self, actor: Actor, *, text: str, category: str) -> None:
        """Add a contributing factor in one of the documented categories."""
        self._authorize_finding_editor(actor)
        self.trigger_event(
            ContributingFactorAdded,
            text=arguments.text("text", text, TEXT_MAX_CHARS),
            category=arguments.member("category", category, FactorCategory),
            actor=actor.principal,
        )

    def add_recommendation(self, actor: Actor, *, text: str) -> None:
        """Add a preventive recommendation."""
        self._authorize_finding_editor(actor)
        self.trigger_event(
            RecommendationAdded,
            text=arguments.text("text", text, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def add_follow_up(
        self, actor: Actor, *, title: str, owner: str, due_date: str, ticket: str | None
    ) -> str:
        """Add a follow-up action; returns its id."""
        self._authorize_finding_editor(actor)
        follow_up_id = str(uuid4())
        self.trigger_event(
            FollowUpAdded,
            follow_up_id=follow_up_id,
            title=arguments.text("title", title, TITLE_MAX_CHARS),
            owner=arguments.text("owner", owner, NAME_MAX_CHARS),
            due_date=arguments.due_date(due_date),
            ticket=arguments.optional_text("ticket", ticket, NAME_MAX_CHARS),
            actor=actor.principal,
        )
        return follow_up_id

    def complete_follow_up(self, actor: Actor, *, follow_up_id: str, note: str | None) -> None:
        """Mark a follow-up done: by its owner, the facilitator or the IC."""
        follow_up = self._open_follow_up(follow_up_id)
        self._authorize_reviewer(actor, also=follow_up.owner)
        self.trigger_event(
            FollowUpCompleted,
            follow_up_id=follow_up_id,
            note=arguments.optional_text("note", note, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def reassign_follow_up(self, actor: Actor, *, follow_up_id: str, owner: str) -> None:
        """Give a follow-up to someone else."""
        follow_up = self._uncancelled_follow_up(follow_up_id)
        self._authorize_reviewer(actor, also=follow_up.owner)
        owner = arguments.text("owner", owner, NAME_MAX_CHARS)
        if owner == follow_up.owner:
            raise NoChangeError(f"{owner} already owns follow-up {follow_up_id}")
        self.trigger_event(
            FollowUpReassigned,
            follow_up_id=follow_up_id,
            owner=owner,
            previous_owner=follow_up.owner,
            actor=actor.principal,
        )

    def change_follow_up_due_date(
        self, actor: Actor, *, follow_up_id: str, due_date: str, reason: str
    ) -> None:
        """Move a follow-up's due date, with the reason."""
        follow_up = self._uncancelled_follow_up(follow_up_id)
        self._authorize_reviewer(actor, also=follow_up.owner)
        new_date = arguments.due_date(due_date)
        if new_date == follow_up.due_date:
            raise NoChangeError(f"follow-up {follow_up_id} is already due {new_date}")
        self.trigger_event(
            FollowUpDueDateChanged,
            follow_up_id=follow_up_id,
            due_date=new_date,
            previous_due_date=follow_up.due_date,
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def record_follow_up_overdue(self, actor: Actor, *, follow_up_id: str, today: date) -> None:
        """Record that an open follow-up is past its due date (`today` is after it): once per
        due date, whoever asks (the notifier, as `system`), so racing or restarted notifiers
        never repeat it; a new due date that passes gets its own."""
        follow_up = self._open_follow_up(follow_up_id)
        if date.fromisoformat(follow_up.due_date) >= today:
            raise IllegalTransitionError(
                self.id,
                "follow-up-not-overdue",
                f"follow-up {follow_up_id} is due {follow_up.due_date}",
            )
        if follow_up.overdue_for == follow_up.due_date:
            raise NoChangeError(f"follow-up {follow_up_id} is already recorded as overdue")
        self.trigger_event(
            FollowUpOverdue,
            follow_up_id=follow_up_id,
            title=follow_up.title,
            owner=follow_up.owner,
            due_date=follow_up.due_date,
            original_due_date=follow_up.original_due_date or follow_up.due_date,
            actor=actor.principal,
        )

    def publish_postmortem(self, actor: Actor, *, no_follow_up_reason: str | None) -> None:
        """Publish: needs a root cause, and follow-ups or a reason why none are needed."""
        self._authorize_reviewer(actor)
        if self.review.status == ReviewStatus.PUBLISHED:
            raise IllegalTransitionError(
                self.id, "postmortem-already-published", "the review is already published"
            )
        if self.review.root_cause is None:
            raise IllegalTransitionError(
                self.id, "postmortem-needs-root-cause", "record the root cause before publishing"
            )
        reason = arguments.optional_text("no_follow_up_reason", no_follow_up_reason, TEXT_MAX_CHARS)
        kept = [f for f in self.review.follow_ups.values() if not f.cancelled]
        if not kept and reason is None:
            raise IllegalTransitionError(
                self.id,
                "postmortem-needs-follow-ups",
                "add a follow-up, or give no_follow_up_reason",
            )
        self.trigger_event(PostmortemPublished, no_follow_up_reason=reason, actor=actor.principal)

    def _check_fire_is_out(self) -> None:
        if self.status == Status.OPEN:
            raise IllegalTransitionError(
                self.id,
                "incident-not-resolved",
                f"{self.reference} is open; the review starts once it is resolved",
            )

    def _authorize_reviewer(self, actor: Actor, *, also: str | None = None) -> None:
        """The facilitator or the acting IC (or `also`, e.g. a follow-up's owner); admins too.
        Only while the fire is out: a reopened incident's review waits until it is resolved."""
        self._check_fire_is_out()
        if self.review.status == ReviewStatus.NONE:
            raise IllegalTransitionError(
                self.id, "postmortem-not-started", f"{self.reference} has no review yet"
            )
        needed = "the review's facilitator or the acting incident commander"
        self._authorize(
            actor,
            holders={self.review.facilitator, self.acting_commander, also},
            needed=needed if also is None else f"the follow-up's owner, {needed}",
        )

    def _authorize_finding_editor(self, actor: Actor) -> None:
        """A reviewer (`_authorize_reviewer`), while the review is not published."""
        if self.review.status == ReviewStatus.PUBLISHED:
            self._check_fire_is_out()
            raise IllegalTransitionError(
                self.id,
                "postmortem-published",
                f"the review of {self.reference} is published; amend it to change its findings",
            )
        self._authorize_reviewer(actor)

    def _follow_up(self, follow_up_id: str) -> FollowUp:
        follow_up = self.review.follow_ups.get(follow_up_id)
        if follow_up is None:
            raise FollowUpNotFoundError(self.id, follow_up_id)
        return follow_up

    def _uncancelled_follow_up(self, follow_up_id: str) -> FollowUp:
        follow_up = self._follow_up(follow_up_id)
        if follow_up.cancelled:
            raise IllegalTransitionError(
                self.id, "follow-up-cancelled", f"follow-up {follow_up_id} was cancelled"
            )
        return follow_up

    def _open_follow_up(self, follow_up_id: str) -> FollowUp:
        """A follow-up that is neither done nor cancelled."""
        follow_up = self._uncancelled_follow_up(follow_up_id)
        if follow_up.done:
            raise IllegalTransitionError(
                self.id, "follow-up-already-completed", f"follow-up {follow_up_id} is done"
            )
        return follow_up
