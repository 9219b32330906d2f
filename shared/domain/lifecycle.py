"""The response's lifecycle: declaring, classifying, assessing, escalating, resolving,
closing and reopening an incident.

An incident is open until resolved; a resolved incident is reopened or closed, and once closed
nothing of the response changes. Every command checks its rules first and then records one
event; a refused command raises a `DomainError` and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Self
from uuid import UUID

from shared.domain import arguments
from shared.domain.errors import IllegalTransitionError, InvalidFieldError, NoChangeError
from shared.domain.events import (
    Closed,
    Declared,
    Escalated,
    ImpactAssessed,
    ImpactWindowSet,
    Reopened,
    Resolved,
    SeverityChanged,
)
from shared.domain.roles import RolesAndAuthority
from shared.domain.values import (
    NAME_MAX_CHARS,
    REOPEN_CLOSED_WINDOW,
    TEXT_MAX_CHARS,
    TITLE_MAX_CHARS,
    Actor,
    Resolution,
    Severity,
    Status,
)


class Lifecycle(RolesAndAuthority):
    """The commands that move an incident from declaration to closure."""

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
        started_at: datetime | None = None,
        detected_at: datetime | None = None,
    ) -> Self:
        """Declare an incident; the owner (default: the declarer) acts as IC until one is named.

        `started_at` (when the impact began) and `detected_at` (when someone noticed) may be
        given; neither may be after the declaration, nor detection before the start.
        """
        if number < 1:
            raise InvalidFieldError("number", "must be 1 or more")
        declared_at = Declared.create_timestamp()
        started_at, detected_at = _impact_window(started_at, detected_at, declared_at)
        return cls._create(
            Declared,
            timestamp=declared_at,
            number=number,
            title=arguments.text("title", title, TITLE_MAX_CHARS),
            description=arguments.optional_text("description", description, TEXT_MAX_CHARS),
            criteria=arguments.criteria(criteria),
            severity=None if severity is None else arguments.member("severity", severity, Severity),
            services=arguments.names("services", services),
            owner=arguments.text(
                "owner", owner if owner is not None else actor.principal, NAME_MAX_CHARS
            ),
            actor=actor.principal,
            started_at=started_at,
            detected_at=detected_at,
        )

    def set_impact_window(
        self,
        actor: Actor,
        *,
        started_at: datetime | None = None,
        detected_at: datetime | None = None,
    ) -> None:
        """Set or correct when the impact began and when someone noticed it (acting IC).

        A moment left out keeps its current value. Allowed after closing too: the review is
        often where the real start of the impact comes to light.
        """
        break_glass = self._authorize_commander(actor)
        if started_at is None and detected_at is None:
            raise InvalidFieldError("started_at", "give started_at, detected_at or both")
        started, detected = _impact_window(
            started_at if started_at is not None else self.started_at,
            detected_at if detected_at is not None else self.detected_at,
            self.created_on,
            blame="detected_at" if detected_at is not None else "started_at",
        )
        if (started, detected) == (self.started_at, self.detected_at):
            raise NoChangeError("the impact window is already set to these times")
        self.trigger_event(
            ImpactWindowSet,
            started_at=started,
            detected_at=detected,
            previous_started_at=self.started_at,
            previous_detected_at=self.detected_at,
            actor=actor.principal,
            break_glass=break_glass,
        )

    def change_severity(self, actor: Actor, *, severity: str, reason: str) -> None:
        """Set a new severity (P1 to P4); every change carries its reason."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        severity = arguments.member("severity", severity, Severity)
        reason = arguments.text("reason", reason, TEXT_MAX_CHARS)
        if severity == self.severity:
            raise NoChangeError(f"severity is already {severity}")
        self.trigger_event(
            SeverityChanged,
            from_severity=self.severity,
            to_severity=severity,
            reason=reason,
            actor=actor.principal,
            break_glass=break_glass,
        )

    def assess_impact(self, actor: Actor, *, impact: str, scope: str) -> None:
        """Record the IC's view of what is affected (impact) and how widely (scope)."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            ImpactAssessed,
            impact=arguments.text("impact", impact, TEXT_MAX_CHARS),
            scope=arguments.text("scope", scope, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    def escalate(self, actor: Actor, *, target: str, reason: str) -> None:
        """Escalate internally to a team or person, with the reason."""
        self._check_not_closed()
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            Escalated,
            target=arguments.text("target", target, NAME_MAX_CHARS),
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
        )

    def resolve(
        self,
        actor: Actor,
        *,
        resolution: str,
        summary: str,
        duplicate_of: UUID | None = None,
        duplicate_of_reference: str | None = None,
    ) -> None:
        """Mark the incident resolved: restored, worked around, mitigated below SLA impact, a
        false alarm, or a duplicate of another incident (`duplicate_of`, its id, and its
        reference, both found by the caller: the domain sees one incident)."""
        self._check_not_closed()
        if self.status != Status.OPEN:
            raise IllegalTransitionError(
                self.id, "incident-not-open", f"{self.reference} is {self.status}, not open"
            )
        break_glass = self._authorize_commander(actor)
        kind = arguments.member("resolution", resolution, Resolution)
        reference: str | None = None
        if kind == Resolution.DUPLICATE:
            if duplicate_of is None or duplicate_of_reference is None:
                raise InvalidFieldError(
                    "duplicate_of", "is required when the resolution is duplicate"
                )
            if duplicate_of == self.id:
                raise InvalidFieldError("duplicate_of", "must name another incident")
            reference = arguments.text("duplicate_of", duplicate_of_reference, NAME_MAX_CHARS)
            # A plain UUID (a driver's subclass does not encode), as the event stores it.
            duplicate_of = UUID(int=duplicate_of.int)
        elif duplicate_of is not None or duplicate_of_reference is not None:
            raise InvalidFieldError(
                "duplicate_of", "is only given when the resolution is duplicate"
            )
        self.trigger_event(
            Resolved,
            resolution=kind,
            summary=arguments.text("summary", summary, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
            duplicate_of=duplicate_of,
            duplicate_of_reference=reference,
        )

    def close(self, actor: Actor) -> None:
        """The IC confirms the resolution; after this nothing operational changes."""
        self._check_resolved()
        break_glass = self._authorize_commander(actor)
        self.trigger_event(Closed, actor=actor.principal, break_glass=break_glass)

    def reopen(
        self, actor: Actor, *, reason: str, closed_window: timedelta = REOPEN_CLOSED_WINDOW
    ) -> None:
        """Return a resolved incident to open, because the fix did not hold; or a closed one,
        at most `closed_window` after it was closed (the domain has no settings: the caller
        passes the window). Either way by the IC of record (the acting IC, whose role cannot
        change once closed) or an admin."""
        now = Reopened.create_timestamp()
        was_closed = self.status == Status.CLOSED
        if was_closed:
            closed_at = self.closed_at
            if closed_at is None or now - closed_at > closed_window:
                raise IllegalTransitionError(
                    self.id,
                    "reopen-window-passed",
                    f"{self.reference} was closed more than {_span(closed_window)} ago; a closed "
                    f"incident can only be reopened within {_span(closed_window)} of closing",
                )
        else:
            self._check_resolved()
        break_glass = self._authorize_commander(actor)
        self.trigger_event(
            Reopened,
            timestamp=now,
            reason=arguments.text("reason", reason, TEXT_MAX_CHARS),
            actor=actor.principal,
            break_glass=break_glass,
            was_closed=was_closed,
        )


def _span(window: timedelta) -> str:
    """A window in words: `7 days`, `12 hours`, `90 minutes`, `30 seconds`."""
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _impact_window(
    started_at: datetime | None,
    detected_at: datetime | None,
    declared_at: datetime,
    *,
    blame: str = "detected_at",
) -> tuple[datetime | None, datetime | None]:
    """The impact window, checked: neither moment after the declaration (so neither in the
    future), and detection not before the start (`blame` names the field that is refused)."""
    if started_at is not None:
        started_at = arguments.moment(
            "started_at", started_at, latest=declared_at, too_late="after the declaration"
        )
    if detected_at is not None:
        detected_at = arguments.moment(
            "detected_at", detected_at, latest=declared_at, too_late="after the declaration"
        )
    if started_at is not None and detected_at is not None and detected_at < started_at:
        message = (
            "must not be before started_at"
            if blame == "detected_at"
            else "must not be after detected_at"
        )
        raise InvalidFieldError(blame, message)
    return started_at, detected_at
