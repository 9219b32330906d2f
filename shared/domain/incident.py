"""The Incident aggregate: every fact about an incident is one of the events recorded here.

Public methods are commands. Each checks its rules first and then triggers exactly one event
through a private `@event` method, whose body only changes state, because it runs again on
every replay. A refused command raises a `DomainError` and records nothing.

Every event records the acting principal (`actor`). Events that need the Incident
Commander's authority also record `break_glass`: true when an admin acted in the IC's place.
Stored topics are explicit (`irm:Incident.<Name>`), so moving or renaming this module never
orphans a stored event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from uuid import uuid4

from eventsourcing.domain import Aggregate, event
from eventsourcing.domain import Snapshot as BaseSnapshot

from shared.domain import review as review_events
from shared.domain.errors import (
    FollowUpNotFoundError,
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
    RoleAlreadyHeldError,
)
from shared.domain.review import FactorCategory, FollowUp, Review, ReviewStatus
from shared.domain.values import (
    NAME_MAX_CHARS,
    TEXT_MAX_CHARS,
    TITLE_MAX_CHARS,
    UPDATE_BODY_MAX_CHARS,
    Actor,
    Audience,
    Criterion,
    Resolution,
    Role,
    Severity,
    Status,
)


class Incident(Aggregate):
    """One incident, from declaration to closure."""

    TOPIC = "irm:Incident"

    class Created(Aggregate.Created):
        TOPIC = "irm:Incident.Created"

    class Snapshot(BaseSnapshot):
        TOPIC = "irm:Incident.Snapshot"

    # --- declaration -------------------------------------------------------------------

    @classmethod
    def declare(
        cls,
        *,
        actor: Actor,
        number: int,
        title: str,
        criteria: Iterable[str],
        description: str | None = None,
        severity: str | None = None,
        services: Iterable[str] = (),
        owner: str | None = None,
    ) -> Incident:
        """Declare an incident; the owner (default: the declarer) acts as IC until one is named."""
        if number < 1:
            raise InvalidFieldError("number", "must be 1 or more")
        return cls(
            number=number,
            title=_text("title", title, TITLE_MAX_CHARS),
            description=_optional_text("description", description, TEXT_MAX_CHARS),
            criteria=_criteria(criteria),
            severity=None if severity is None else _member("severity", severity, Severity),
            services=_names("services", services),
            owner=_text("owner", owner if owner is not None else actor.principal, NAME_MAX_CHARS),
            actor=actor.principal,
        )

    @event("Declared", topic="irm:Incident.Declared")
    def __init__(
        self,
        *,
        number: int,
        title: str,
        description: str | None,
        criteria: list[str],
        severity: str | None,
        services: list[str],
        owner: str,
        actor: str,
    ) -> None:
        self.number = number
        self.title = title
        self.description = description
        self.criteria = criteria
        self.severity = severity
        self.services = services
        self.owner = owner
        self.declared_by = actor
        self.status = Status.OPEN.value
        self.roles: dict[str, str] = {}
        self.impact: str | None = None
        self.scope: str | None = None
        self.tickets: list[dict[str, str | None]] = []
        self.resolution: str | None = None
        self.resolution_summary: str | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        # The customer-update cadence runs from the last customer contact (declaration, a
        # customer update, a reopen); reminders count the intervals missed since then.
        self.customer_contact_at: datetime = self.created_on
        self.overdue_reminders = 0
        self.last_overdue_due_at: datetime | None = None
        self.review = Review()

    # --- state that is derived, not stored -------------------------------------------

    @property
    def acting_commander(self) -> str:
        """The named Incident Commander, or the owner until one is assigned."""
        return self.roles.get(Role.INCIDENT_COMMANDER.value, self.owner)

    @property
    def display_id(self) -> str:
        """The human reference used in conversation and tickets: INC-<number>."""
        return f"INC-{self.number}"

    # --- commands ------------------------------------------------------------------------

    def assign_role(self, actor: Actor, *, role: str, assignee: str, note: str | None) -> None:
        """Hand a role to someone; the outgoing holder and the handover note go on the record."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        role = _member("role", role, Role)
        assignee = _text("assignee", assignee, NAME_MAX_CHARS)
        previous = self.roles.get(role)
        if previous == assignee:
            raise RoleAlreadyHeldError(role, assignee)
        self._role_assigned(
            role=role,
            assignee=assignee,
            previous_holder=previous,
            note=_optional_text("note", note, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    @event("RoleAssigned", topic="irm:Incident.RoleAssigned")
    def _role_assigned(
        self,
        *,
        role: str,
        assignee: str,
        previous_holder: str | None,
        note: str | None,
        actor: str,
        break_glass: bool,
    ) -> None:
        self.roles[role] = assignee

    def change_severity(self, actor: Actor, *, severity: str, reason: str) -> None:
        """Set a new severity (P1 to P4); every change carries its reason."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        severity = _member("severity", severity, Severity)
        reason = _text("reason", reason, TEXT_MAX_CHARS)
        if severity == self.severity:
            raise NoChangeError(f"severity is already {severity}")
        self._severity_changed(
            from_severity=self.severity,
            to_severity=severity,
            reason=reason,
            actor=actor.principal,
            break_glass=break_glass,
        )

    @event("SeverityChanged", topic="irm:Incident.SeverityChanged")
    def _severity_changed(
        self,
        *,
        from_severity: str | None,
        to_severity: str,
        reason: str,
        actor: str,
        break_glass: bool,
    ) -> None:
        self.severity = to_severity

    def assess_impact(self, actor: Actor, *, impact: str, scope: str) -> None:
        """Record the IC's view of what is affected (impact) and how widely (scope)."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        self._impact_assessed(
            impact=_text("impact", impact, TEXT_MAX_CHARS),
            scope=_text("scope", scope, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    @event("ImpactAssessed", topic="irm:Incident.ImpactAssessed")
    def _impact_assessed(self, *, impact: str, scope: str, actor: str, break_glass: bool) -> None:
        self.impact = impact
        self.scope = scope

    def link_ticket(self, actor: Actor, *, system: str, key: str, url: str | None) -> None:
        """Link the incident to its ticket in a support system."""
        self._check_not_closed()
        system = _text("system", system, NAME_MAX_CHARS)
        key = _text("key", key, NAME_MAX_CHARS)
        if any(t["system"] == system and t["key"] == key for t in self.tickets):
            raise NoChangeError(f"ticket {system} {key} is already linked")
        self._ticket_linked(
            system=system,
            key=key,
            url=_optional_text("url", url, 2_000),
            actor=actor.principal,
        )

    @event("TicketLinked", topic="irm:Incident.TicketLinked")
    def _ticket_linked(self, *, system: str, key: str, url: str | None, actor: str) -> None:
        self.tickets.append({"system": system, "key": key, "url": url})

    def post_update(self, actor: Actor, *, audience: str, body: str) -> None:
        """Post an update; customer updates come only from the Communications Lead or the IC."""
        self._check_not_closed()
        audience = _member("audience", audience, Audience)
        break_glass = False
        if audience == Audience.CUSTOMER:
            break_glass = self._authorize(
                actor,
                holders={self.acting_commander, self.roles.get(Role.COMMUNICATIONS_LEAD.value)},
                needed="the communications lead or the acting incident commander",
            )
        self.trigger_event(
            self.UpdatePosted,
            audience=audience,
            body=_text("body", body, UPDATE_BODY_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    class UpdatePosted(Aggregate.Event):
        # An explicit class: a customer update restarts the cadence at the event's own time.
        TOPIC = "irm:Incident.UpdatePosted"
        audience: str
        body: str
        actor: str
        break_glass: bool

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Incident)
            if self.audience == Audience.CUSTOMER.value:
                aggregate.customer_contact_at = self.timestamp
                aggregate.overdue_reminders = 0
                aggregate.last_overdue_due_at = None

    def record_update_overdue(self, actor: Actor, *, due_at: datetime) -> None:
        """Record that a customer update was due at `due_at` and none came (one per interval).

        The notifier computes `due_at` from the cadence; a second reminder for the same or an
        earlier due time is refused, so racing or restarted notifiers never repeat one.
        """
        if self.status != Status.OPEN or self.severity is None:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.display_id} has no customer-update cadence"
            )
        if due_at <= self.customer_contact_at:
            raise InvalidFieldError("due_at", "must be after the last customer contact")
        if self.last_overdue_due_at is not None and due_at <= self.last_overdue_due_at:
            raise NoChangeError(f"a reminder for {due_at.isoformat()} is already recorded")
        self.trigger_event(
            self.CustomerUpdateOverdue,
            severity=self.severity,
            due_at=due_at,
            last_customer_contact_at=self.customer_contact_at,
            missed_intervals=self.overdue_reminders + 1,
            actor=actor.principal,
        )

    class CustomerUpdateOverdue(Aggregate.Event):
        TOPIC = "irm:Incident.CustomerUpdateOverdue"
        severity: str
        due_at: datetime
        last_customer_contact_at: datetime
        missed_intervals: int
        actor: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Incident)
            aggregate.overdue_reminders = self.missed_intervals
            aggregate.last_overdue_due_at = self.due_at

    def escalate(self, actor: Actor, *, target: str, reason: str) -> None:
        """Escalate internally to a team or person, with the reason."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        self._escalated(
            target=_text("target", target, NAME_MAX_CHARS),
            reason=_text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    @event("Escalated", topic="irm:Incident.Escalated")
    def _escalated(self, *, target: str, reason: str, actor: str, break_glass: bool) -> None:
        pass

    def resolve(self, actor: Actor, *, resolution: str, summary: str) -> None:
        """Mark the incident resolved: restored, worked around, or mitigated below SLA impact."""
        self._check_not_closed()
        if self.status != Status.OPEN:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.display_id} is {self.status}, not open"
            )
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            self.Resolved,
            resolution=_member("resolution", resolution, Resolution),
            summary=_text("summary", summary, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    class Resolved(Aggregate.Event):
        # An explicit class (not @event) because apply() needs the event's own timestamp.
        TOPIC = "irm:Incident.Resolved"
        resolution: str
        summary: str
        actor: str
        break_glass: bool

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Incident)
            aggregate.status = Status.RESOLVED.value
            aggregate.resolution = self.resolution
            aggregate.resolution_summary = self.summary
            aggregate.resolved_at = self.timestamp

    def close(self, actor: Actor) -> None:
        """The IC confirms the resolution; after this nothing operational changes."""
        self._check_resolved()
        break_glass = self._authorize_commander(actor)
        self.trigger_event(self.Closed, actor=actor.principal, break_glass=break_glass)

    class Closed(Aggregate.Event):
        # An explicit class (not @event) because apply() needs the event's own timestamp.
        TOPIC = "irm:Incident.Closed"
        actor: str
        break_glass: bool

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Incident)
            aggregate.status = Status.CLOSED.value
            aggregate.closed_at = self.timestamp

    def reopen(self, actor: Actor, *, reason: str) -> None:
        """Return a resolved incident to open, because the fix did not hold."""
        self._check_resolved()
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            self.Reopened,
            reason=_text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    class Reopened(Aggregate.Event):
        # An explicit class: reopening restarts the customer-update cadence at its own time.
        TOPIC = "irm:Incident.Reopened"
        reason: str
        actor: str
        break_glass: bool

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Incident)
            aggregate.status = Status.OPEN.value
            aggregate.resolution = None
            aggregate.resolution_summary = None
            aggregate.resolved_at = None
            aggregate.customer_contact_at = self.timestamp
            aggregate.overdue_reminders = 0
            aggregate.last_overdue_due_at = None

    # --- post-incident review (seed section 9) -------------------------------------

    PostmortemStarted = review_events.PostmortemStarted
    RootCauseRecorded = review_events.RootCauseRecorded
    ContributingFactorAdded = review_events.ContributingFactorAdded
    RecommendationAdded = review_events.RecommendationAdded
    FollowUpAdded = review_events.FollowUpAdded
    FollowUpCompleted = review_events.FollowUpCompleted
    FollowUpReassigned = review_events.FollowUpReassigned
    FollowUpDueDateChanged = review_events.FollowUpDueDateChanged
    PostmortemPublished = review_events.PostmortemPublished

    @property
    def postmortem_required(self) -> bool:
        """Significant incidents (P1 and P2) need a published review."""
        return self.severity in (Severity.P1.value, Severity.P2.value)

    @property
    def review_pending(self) -> bool:
        """A required review that is not published yet."""
        return self.postmortem_required and self.review.status != ReviewStatus.PUBLISHED

    def start_postmortem(self, actor: Actor, *, facilitator: str) -> None:
        """Start the review of a resolved or closed incident, led by a facilitator."""
        self._check_fire_is_out()
        if self.review.status != ReviewStatus.NONE:
            raise IllegalTransitionError(
                self.id, "postmortem-already-started", f"{self.display_id} already has a review"
            )
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            self.PostmortemStarted,
            facilitator=_text("facilitator", facilitator, NAME_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    def record_root_cause(self, actor: Actor, *, text: str) -> None:
        """Record the root cause; a later one supersedes it and both stay on the record."""
        self._authorize_reviewer(actor)
        self.trigger_event(
            self.RootCauseRecorded, text=_text("text", text, TEXT_MAX_CHARS), actor=actor.principal
        )

    def add_contributing_factor(self, actor: Actor, *, text: str, category: str) -> None:
        """Add a contributing factor in one of the documented categories."""
        self._authorize_reviewer(actor)
        self.trigger_event(
            self.ContributingFactorAdded,
            text=_text("text", text, TEXT_MAX_CHARS),
            category=_member("category", category, FactorCategory),
            actor=actor.principal,
        )

    def add_recommendation(self, actor: Actor, *, text: str) -> None:
        """Add a preventive recommendation."""
        self._authorize_reviewer(actor)
        self.trigger_event(
            self.RecommendationAdded,
            text=_text("text", text, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def add_follow_up(
        self, actor: Actor, *, title: str, owner: str, due_date: str, ticket: str | None
    ) -> str:
        """Add a follow-up action; returns its id."""
        self._authorize_reviewer(actor)
        follow_up_id = str(uuid4())
        self.trigger_event(
            self.FollowUpAdded,
            follow_up_id=follow_up_id,
            title=_text("title", title, TITLE_MAX_CHARS),
            owner=_text("owner", owner, NAME_MAX_CHARS),
            due_date=_due_date(due_date),
            ticket=_optional_text("ticket", ticket, NAME_MAX_CHARS),
            actor=actor.principal,
        )
        return follow_up_id

    def complete_follow_up(self, actor: Actor, *, follow_up_id: str, note: str | None) -> None:
        """Mark a follow-up done: by its owner, the facilitator or the IC."""
        follow_up = self._follow_up(follow_up_id)
        if follow_up.done:
            raise IllegalTransitionError(
                self.id, "follow-up-already-completed", f"follow-up {follow_up_id} is done"
            )
        self._authorize_reviewer(actor, also=follow_up.owner)
        self.trigger_event(
            self.FollowUpCompleted,
            follow_up_id=follow_up_id,
            note=_optional_text("note", note, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def reassign_follow_up(self, actor: Actor, *, follow_up_id: str, owner: str) -> None:
        """Give a follow-up to someone else."""
        follow_up = self._follow_up(follow_up_id)
        self._authorize_reviewer(actor, also=follow_up.owner)
        owner = _text("owner", owner, NAME_MAX_CHARS)
        if owner == follow_up.owner:
            raise NoChangeError(f"{owner} already owns follow-up {follow_up_id}")
        self.trigger_event(
            self.FollowUpReassigned,
            follow_up_id=follow_up_id,
            owner=owner,
            previous_owner=follow_up.owner,
            actor=actor.principal,
        )

    def change_follow_up_due_date(
        self, actor: Actor, *, follow_up_id: str, due_date: str, reason: str
    ) -> None:
        """Move a follow-up's due date, with the reason."""
        follow_up = self._follow_up(follow_up_id)
        self._authorize_reviewer(actor, also=follow_up.owner)
        new_date = _due_date(due_date)
        if new_date == follow_up.due_date:
            raise NoChangeError(f"follow-up {follow_up_id} is already due {new_date}")
        self.trigger_event(
            self.FollowUpDueDateChanged,
            follow_up_id=follow_up_id,
            due_date=new_date,
            previous_due_date=follow_up.due_date,
            reason=_text("reason", reason, TEXT_MAX_CHARS),
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
        reason = _optional_text("no_follow_up_reason", no_follow_up_reason, TEXT_MAX_CHARS)
        if not self.review.follow_ups and reason is None:
            raise IllegalTransitionError(
                self.id,
                "postmortem-needs-follow-ups",
                "add a follow-up, or give no_follow_up_reason",
            )
        self.trigger_event(
            self.PostmortemPublished, no_follow_up_reason=reason, actor=actor.principal
        )

    def _check_fire_is_out(self) -> None:
        if self.status == Status.OPEN:
            raise IllegalTransitionError(
                self.id,
                "incident-not-resolved",
                f"{self.display_id} is open; the review starts once it is resolved",
            )

    def _authorize_reviewer(self, actor: Actor, *, also: str | None = None) -> None:
        """The facilitator or the acting IC (or `also`, e.g. a follow-up's owner); admins too.
        Only while the fire is out: a reopened incident's review waits until it is resolved."""
        self._check_fire_is_out()
        if self.review.status == ReviewStatus.NONE:
            raise IllegalTransitionError(
                self.id, "postmortem-not-started", f"{self.display_id} has no review yet"
            )
        needed = "the review's facilitator or the acting incident commander"
        self._authorize(
            actor,
            holders={self.review.facilitator, self.acting_commander, also},
            needed=needed if also is None else f"the follow-up's owner, {needed}",
        )

    def _follow_up(self, follow_up_id: str) -> FollowUp:
        follow_up = self.review.follow_ups.get(follow_up_id)
        if follow_up is None:
            raise FollowUpNotFoundError(self.id, follow_up_id)
        return follow_up

    # --- rules -------------------------------------------------------------------------

    def _check_not_closed(self) -> None:
        if self.status == Status.CLOSED:
            raise IllegalTransitionError(
                self.id, "incident-closed", f"{self.display_id} is closed and cannot change"
            )

    def _check_resolved(self) -> None:
        self._check_not_closed()
        if self.status != Status.RESOLVED:
            raise IllegalTransitionError(
                self.id,
                "incident-not-resolved",
                f"{self.display_id} is {self.status}; only a resolved incident can do that",
            )

    def _authorize_commander(self, actor: Actor) -> bool:
        """Allow the acting IC; an admin may break glass. Returns whether glass was broken."""
        return self._authorize(
            actor, holders={self.acting_commander}, needed="the acting incident commander"
        )

    @staticmethod
    def _authorize(actor: Actor, *, holders: set[str | None], needed: str) -> bool:
        if actor.principal in holders:
            return False
        if actor.is_admin:
            return True
        raise NotAuthorizedError(actor.principal, needed)


# --- argument checks: each returns the cleaned value or raises InvalidFieldError -------------


def _text(field: str, value: str, max_chars: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidFieldError(field, "must not be empty")
    if len(cleaned) > max_chars:
        raise InvalidFieldError(field, f"must be at most {max_chars} characters")
    return cleaned


def _optional_text(field: str, value: str | None, max_chars: int) -> str | None:
    if value is None or not value.strip():
        return None
    return _text(field, value, max_chars)


def _member(
    field: str,
    value: str,
    allowed: type[Role | Severity | Audience | Resolution | FactorCategory],
) -> str:
    choices = [member.value for member in allowed]
    if value not in choices:
        raise InvalidFieldError(field, f"must be one of {', '.join(choices)}")
    # A plain str, never the enum, so that recorded events hold exactly what is stored.
    return str(allowed(value).value)


def _criteria(values: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(values))
    if not chosen:
        raise InvalidFieldError("criteria", "at least one declaration criterion is required")
    allowed = [c.value for c in Criterion]
    for value in chosen:
        if value not in allowed:
            raise InvalidFieldError("criteria", f"must be from {', '.join(allowed)}")
    return [str(Criterion(value).value) for value in chosen]


def _due_date(value: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidFieldError("due_date", "must be a date like 2026-12-31") from None


def _names(field: str, values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(_text(field, v, NAME_MAX_CHARS) for v in values))
