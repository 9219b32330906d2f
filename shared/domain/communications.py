"""Communications: updates for the team and the customers, ticket links, and the reminders
recorded when a customer update is overdue.

Customer updates come only from the Communications Lead or the acting IC; internal updates
and ticket links from anyone. The customer-update cadence is in `shared.domain.rules`.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain import arguments
from shared.domain.errors import IllegalTransitionError, InvalidFieldError, NoChangeError
from shared.domain.events import (
    CustomerUpdateOverdue,
    TicketLinked,
    TimelineEntryAdded,
    UpdatePosted,
)
from shared.domain.roles import RolesAndAuthority
from shared.domain.values import (
    NAME_MAX_CHARS,
    TEXT_MAX_CHARS,
    UPDATE_BODY_MAX_CHARS,
    Actor,
    Audience,
    Role,
    Status,
    UpdateKind,
)


class Communications(RolesAndAuthority):
    """The commands that tell people about the incident."""

    def link_ticket(self, actor: Actor, *, system: str, key: str, url: str | None) -> None:
        """Link the incident to its ticket in a support system."""
        self._check_not_closed()
        system = arguments.text("system", system, NAME_MAX_CHARS)
        key = arguments.text("key", key, NAME_MAX_CHARS)
        if any(t["system"] == system and t["key"] == key for t in self.tickets):
            raise NoChangeError(f"ticket {system} {key} is already linked")
        self.trigger_event(
            TicketLinked,
            system=system,
            key=key,
            url=arguments.optional_text("url", url, arguments.URL_MAX_CHARS),
            actor=actor.principal,
        )

    def post_update(
        self, actor: Actor, *, audience: str, body: str, kind: str = UpdateKind.REGULAR.value
    ) -> None:
        """Post an update; customer updates come only from the Communications Lead or the IC.

        A final notice (`kind` final: "RCA published") is a customer update after the
        resolution, also once the incident is closed; internal updates may follow a close too.
        """
        audience = arguments.member("audience", audience, Audience)
        kind = arguments.member("kind", kind, UpdateKind)
        if kind == UpdateKind.FINAL:
            if audience != Audience.CUSTOMER:
                raise InvalidFieldError("kind", "a final notice is a customer update")
            if self.status == Status.OPEN:
                raise IllegalTransitionError(
                    self.id,
                    "incident-not-resolved",
                    f"{self.reference} is open; a final notice follows the resolution",
                )
        elif audience == Audience.CUSTOMER:
            self._check_not_closed()
        break_glass = False
        if audience == Audience.CUSTOMER:
            break_glass = self._authorize(
                actor,
                holders={self.acting_commander, self.roles.get(Role.COMMUNICATIONS_LEAD.value)},
                needed="the communications lead or the acting incident commander",
            )
        self.trigger_event(
            UpdatePosted,
            audience=audience,
            body=arguments.text("body", body, UPDATE_BODY_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
            kind=kind,
        )

    def add_timeline_entry(self, actor: Actor, *, occurred_at: datetime, text: str) -> None:
        """Record something that happened outside the tool at `occurred_at` (anyone, like an
        internal update; also after closing, when the review reconstructs what happened)."""
        now = TimelineEntryAdded.create_timestamp()
        self.trigger_event(
            TimelineEntryAdded,
            timestamp=now,
            occurred_at=arguments.moment(
                "occurred_at", occurred_at, latest=now, too_late="in the future"
            ),
            text=arguments.text("text", text, TEXT_MAX_CHARS),
            actor=actor.principal,
        )

    def record_update_overdue(
        self, actor: Actor, *, due_at: datetime, missed_intervals: int | None = None
    ) -> None:
        """Record that a customer update was due at `due_at` and none came: `missed_intervals`
        since the last customer contact (one more than already recorded unless given).

        The notifier computes both with `rules.overdue_by`, so intervals missed while it was
        down make one reminder, not a burst; a second reminder for the same or an earlier due
        time is refused, so racing or restarted notifiers never repeat one. The reminder names
        whom to chase: the Communications Lead (the acting IC when there is none) and the IC.
        """
        if self.status != Status.OPEN or self.severity is None:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.reference} has no customer-update cadence"
            )
        if due_at <= self.customer_contact_at:
            raise InvalidFieldError("due_at", "must be after the last customer contact")
        if self.last_overdue_due_at is not None and due_at <= self.last_overdue_due_at:
            raise NoChangeError(f"a reminder for {due_at.isoformat()} is already recorded")
        missed = self.overdue_reminders + 1 if missed_intervals is None else missed_intervals
        if missed <= self.overdue_reminders:
            raise InvalidFieldError("missed_intervals", "must be more than already recorded")
        commander = self.acting_commander
        self.trigger_event(
            CustomerUpdateOverdue,
            severity=self.severity,
            due_at=due_at,
            last_customer_contact_at=self.customer_contact_at,
            missed_intervals=missed,
            actor=actor.principal,
            update_owner=self.roles.get(Role.COMMUNICATIONS_LEAD.value, commander),
            incident_commander=commander,
        )
