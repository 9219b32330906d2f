"""The incident process's rules, each defined once as a pure function.

The aggregate, the read models, the notifier and the post-mortem all call these, so they
cannot disagree about what a rule means.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Protocol

from shared.domain.cadence import Cadence
from shared.domain.events import IncidentEvent, Reopened, SeverityChanged, UpdatePosted
from shared.domain.review import ReviewStatus
from shared.domain.values import Audience, Resolution, Role, Severity, Status

_CUSTOMER: Final = Audience.CUSTOMER.value
_OPEN: Final = Status.OPEN.value
_NEEDS_REVIEW: Final = frozenset({Severity.P1.value, Severity.P2.value})
_RANK: Final = {severity.value: rank for rank, severity in enumerate(Severity)}
_NOT_AN_INCIDENT: Final = frozenset({Resolution.FALSE_ALARM.value, Resolution.DUPLICATE.value})


def severity_rank(severity: str | None) -> int:
    """Where a severity sorts, most severe first: P1 is 0, P4 is 3, unclassified last."""
    return _RANK.get(severity, len(_RANK)) if severity is not None else len(_RANK)


def peak_severity(peak: str | None, severity: str | None) -> str | None:
    """The highest severity an incident has had, once it is set to `severity`."""
    return severity if severity_rank(severity) < severity_rank(peak) else peak


def acting_commander(roles: dict[str, str], owner: str) -> str:
    """The named Incident Commander, or the incident's owner until one is assigned."""
    return roles.get(Role.INCIDENT_COMMANDER.value, owner)


def restarts_cadence(event: IncidentEvent) -> bool:
    """Whether the event restarts the customer-update cadence, at its own time: a customer
    update or a reopen does, and so does the first classification of an incident declared
    without a severity (the declaration starts it; it runs only once there is a severity)."""
    if type(event) is UpdatePosted:
        return event.audience == _CUSTOMER
    if type(event) is SeverityChanged:
        return event.from_severity is None
    return type(event) is Reopened


def customer_update_due(
    *,
    status: str,
    severity: str | None,
    since: datetime | None,
    cadence: Cadence,
    reminders: int = 0,
    last_reminder_due_at: datetime | None = None,
) -> datetime | None:
    """When the next customer update is due: one cadence interval (of the severity) after the
    cadence last (re)started at `since`, and one more for each reminder recorded since then.

    None when no cadence applies: the incident is not open or not classified. A severity raised
    after a reminder shortens the interval, but the next reminder still comes one full interval
    after `last_reminder_due_at`, never at or before it.
    """
    if status != _OPEN or severity is None or since is None:
        return None
    interval = cadence.get(severity)
    if interval is None:
        return None
    due = since + interval * (reminders + 1)
    if last_reminder_due_at is not None:
        due = max(due, last_reminder_due_at + interval)
    return due


class CadenceState(Protocol):
    """What the cadence of an incident depends on (the aggregate has all of it)."""

    @property
    def status(self) -> str: ...

    @property
    def severity(self) -> str | None: ...

    @property
    def customer_contact_at(self) -> datetime: ...

    @property
    def overdue_reminders(self) -> int: ...

    @property
    def last_overdue_due_at(self) -> datetime | None: ...


def next_reminder_due(incident: CadenceState, cadence: Cadence) -> datetime | None:
    """When the incident's next overdue-update reminder falls due, or None when no cadence
    applies: the next customer update is due then, counting the reminders already recorded."""
    return customer_update_due(
        status=incident.status,
        severity=incident.severity,
        since=incident.customer_contact_at,
        cadence=cadence,
        reminders=incident.overdue_reminders,
        last_reminder_due_at=incident.last_overdue_due_at,
    )


def overdue_by(
    incident: CadenceState, cadence: Cadence, now: datetime
) -> tuple[datetime, int] | None:
    """The reminder to record at `now`, or None when none is due: the latest customer-update
    due time that has passed, and how many intervals have been missed since the last customer
    contact by then. One reminder covers every interval missed since the last one, so a
    notifier that was down records one, not a burst."""
    due = next_reminder_due(incident, cadence)
    if due is None or due > now or incident.severity is None:
        return None
    interval = cadence[incident.severity]
    more = (now - due) // interval
    return due + interval * more, incident.overdue_reminders + 1 + more


def not_an_incident(resolution: str | None) -> bool:
    """Whether the incident was resolved as no incident of its own: a false alarm or a
    duplicate of another. Such an incident needs no review and is left out of time to resolve
    by default. `resolution` is the current one (None while open again after a reopen)."""
    return resolution in _NOT_AN_INCIDENT


def postmortem_required(peak: str | None, resolution: str | None) -> bool:
    """Significant incidents need a published post-incident review: those that were ever P1 or
    P2 (`peak`), so a P1 downgraded to P3 before it closes still does; but not one resolved as
    a false alarm or a duplicate (`not_an_incident`)."""
    return peak in _NEEDS_REVIEW and not not_an_incident(resolution)


def review_pending(peak: str | None, resolution: str | None, review_status: str) -> bool:
    """A required review that is not published yet."""
    return postmortem_required(peak, resolution) and review_status != ReviewStatus.PUBLISHED.value


def handover_key(role: str, shift_start: datetime) -> str:
    """What makes a handover the same one: the role and the shift change it is due at (so a
    restarted or a second notifier never records it twice)."""
    return f"{role}@{shift_start.astimezone(UTC).isoformat()}"
