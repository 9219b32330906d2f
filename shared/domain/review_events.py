"""The events of the post-incident review (re-exported by `shared.domain.events`, which holds
the union of every event type; see its docstring for the rules every event class follows)."""

from __future__ import annotations

from typing import final

from shared.domain.event_base import EventBase

# --- the post-incident review ------------------------------------------------------------


@final
class PostmortemStarted(EventBase):
    """The review began, led by a facilitator."""

    TOPIC = "irm:Incident.PostmortemStarted"
    facilitator: str
    actor: str
    break_glass: bool


@final
class RootCauseRecorded(EventBase):
    """The root cause as understood now; a later one supersedes it, history stays."""

    TOPIC = "irm:Incident.RootCauseRecorded"
    text: str
    actor: str


@final
class ContributingFactorAdded(EventBase):
    """Something that made the incident possible or worse."""

    TOPIC = "irm:Incident.ContributingFactorAdded"
    text: str
    category: str
    actor: str


@final
class RecommendationAdded(EventBase):
    """A preventive recommendation."""

    TOPIC = "irm:Incident.RecommendationAdded"
    text: str
    actor: str


@final
class FollowUpAdded(EventBase):
    """A follow-up action with an owner and a due date."""

    TOPIC = "irm:Incident.FollowUpAdded"
    follow_up_id: str
    title: str
    owner: str
    due_date: str
    ticket: str | None
    actor: str


@final
class FollowUpCompleted(EventBase):
    """A follow-up was done."""

    TOPIC = "irm:Incident.FollowUpCompleted"
    follow_up_id: str
    note: str | None
    actor: str


@final
class FollowUpReassigned(EventBase):
    """A follow-up changed owner."""

    TOPIC = "irm:Incident.FollowUpReassigned"
    follow_up_id: str
    owner: str
    previous_owner: str
    actor: str


@final
class FollowUpDueDateChanged(EventBase):
    """A follow-up's due date moved, with the reason."""

    TOPIC = "irm:Incident.FollowUpDueDateChanged"
    follow_up_id: str
    due_date: str
    previous_due_date: str
    reason: str
    actor: str


@final
class PostmortemPublished(EventBase):
    """The review is done and shared."""

    TOPIC = "irm:Incident.PostmortemPublished"
    no_follow_up_reason: str | None
    actor: str


# --- corrections (issue 11) ------------------------------------------------------------------


@final
class ContributingFactorEdited(EventBase):
    """A contributing factor's text or category was corrected; the previous ones are kept."""

    TOPIC = "irm:Incident.ContributingFactorEdited"
    factor_id: str
    text: str
    category: str
    previous_text: str
    previous_category: str
    actor: str


@final
class ContributingFactorWithdrawn(EventBase):
    """A contributing factor was withdrawn, with the reason (its text and category kept)."""

    TOPIC = "irm:Incident.ContributingFactorWithdrawn"
    factor_id: str
    text: str
    category: str
    reason: str
    actor: str


@final
class RecommendationEdited(EventBase):
    """A recommendation's text was corrected; the previous text is kept."""

    TOPIC = "irm:Incident.RecommendationEdited"
    recommendation_id: str
    text: str
    previous_text: str
    actor: str


@final
class RecommendationWithdrawn(EventBase):
    """A recommendation was withdrawn, with the reason (its text kept)."""

    TOPIC = "irm:Incident.RecommendationWithdrawn"
    recommendation_id: str
    text: str
    reason: str
    actor: str


@final
class FollowUpCancelled(EventBase):
    """A follow-up is no longer needed: neither done nor open from now on."""

    TOPIC = "irm:Incident.FollowUpCancelled"
    follow_up_id: str
    reason: str
    actor: str


@final
class PostmortemAmended(EventBase):
    """A published review was reopened for edits, with the reason; it is published again."""

    TOPIC = "irm:Incident.PostmortemAmended"
    reason: str
    actor: str


@final
class FollowUpOverdue(EventBase):
    """An open follow-up passed its due date: recorded once for that due date, by the notifier,
    naming the owner to chase."""

    TOPIC = "irm:Incident.FollowUpOverdue"
    follow_up_id: str
    title: str
    owner: str
    due_date: str
    original_due_date: str
    actor: str
