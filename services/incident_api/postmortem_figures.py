"""The post-mortem's figures, from an incident's events: the response's key durations, the
impact window's milestones, and the customer communication measured against the cadence.

Each function here picks the few event types it needs; `postmortem.part_of` is where every
event type is matched exhaustively, so a new one cannot be forgotten by the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain import events as ev
from shared.domain.cadence import Cadence
from shared.domain.incident import Incident
from shared.domain.rules import customer_update_due, next_reminder_due, restarts_cadence
from shared.domain.values import Audience, Role, Status, UpdateKind
from shared.eventstore.store import RecordedEvent

_IC = Role.INCIDENT_COMMANDER.value
_CUSTOMER = Audience.CUSTOMER.value


@dataclass(frozen=True, slots=True)
class ReviewFigures:
    """The response's key durations, from the events."""

    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None
    customer_updates: int
    longest_customer_gap: timedelta | None
    # Customer-update intervals missed: one reminder may count several (`missed_intervals`).
    overdue_reminders: int


def review_figures(events: Sequence[RecordedEvent]) -> ReviewFigures:
    """Time to acknowledge (first IC), to resolve (last resolution), and communication gaps."""
    declared_at = events[0].event.timestamp
    acknowledged = resolved = None
    # Gaps are measured while the incident is open, as the cadence is: from the cadence's
    # (re)start to the next customer update or the resolution.
    contact, is_open = declared_at, True
    gaps: list[timedelta] = []
    updates = reminders = missed_since_contact = 0
    for recorded in events:
        event = recorded.event
        at = event.timestamp
        if type(event) is ev.RoleAssigned:
            if event.role == _IC and acknowledged is None:
                acknowledged = at
        elif type(event) is ev.Resolved:
            resolved = at
            if is_open:
                gaps.append(at - contact)
            is_open = False
        elif type(event) is ev.Reopened:
            resolved, is_open = None, True
        elif type(event) is ev.UpdatePosted:
            if event.audience == _CUSTOMER:
                updates += 1
                if is_open:
                    gaps.append(at - contact)
        elif type(event) is ev.CustomerUpdateOverdue:
            reminders += event.missed_intervals - missed_since_contact
            missed_since_contact = event.missed_intervals
        if restarts_cadence(event):
            contact, missed_since_contact = at, 0
    return ReviewFigures(
        time_to_acknowledge=None if acknowledged is None else acknowledged - declared_at,
        time_to_resolve=None if resolved is None else resolved - declared_at,
        customer_updates=updates,
        longest_customer_gap=max(gaps) if gaps else None,
        overdue_reminders=reminders,
    )


# --- the impact window ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Milestone:
    """A moment of the incident's life: what, when (None: not known or not yet), and who."""

    name: str
    at: datetime | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Interval:
    """A named duration between two milestones; None when either end is unknown."""

    name: str
    between: str
    span: timedelta | None


def milestones(incident: Incident, events: Sequence[RecordedEvent]) -> list[Milestone]:
    """Started, detected, declared, first acknowledgement of a page (when paged), first IC,
    every resolution and reopen, and closed, in that order."""
    first_ic = first_page = first_ack = None
    settled: list[Milestone] = []
    for recorded in events:
        event = recorded.event
        if type(event) is ev.RoleAssigned and event.role == _IC and first_ic is None:
            first_ic = Milestone("First Incident Commander", event.timestamp, event.assignee)
        elif type(event) is ev.Paged and first_page is None:
            first_page = Milestone("First page", event.timestamp, event.person)
        elif type(event) is ev.Acknowledged and first_ack is None:
            first_ack = Milestone("Page acknowledged", event.timestamp, event.actor)
        elif type(event) is ev.Resolved:
            of = f" of {event.duplicate_of_reference}" if event.duplicate_of_reference else ""
            detail = f"{event.resolution}{of}, by {event.actor}"
            settled.append(Milestone("Resolved", event.timestamp, detail))
        elif type(event) is ev.Reopened:
            reason = " ".join(event.reason.split())
            settled.append(Milestone("Reopened", event.timestamp, f"by {event.actor}: {reason}"))
    if incident.resolved_at is None:
        settled.append(Milestone("Resolved", None, "not yet"))
    return [
        Milestone("Impact started", incident.started_at, _unless(incident.started_at)),
        Milestone("Detected", incident.detected_at, _unless(incident.detected_at)),
        Milestone("Declared", incident.created_on, f"by {incident.declared_by}"),
        *([first_page] if first_page else []),
        *([first_ack or Milestone("Page acknowledged", None, "not yet")] if first_page else []),
        first_ic or Milestone("First Incident Commander", None, "none named"),
        *settled,
        Milestone("Closed", incident.closed_at, "" if incident.closed_at else "not yet"),
    ]


def _unless(moment: datetime | None) -> str:
    return "" if moment is not None else "not recorded"


def intervals(incident: Incident, events: Sequence[RecordedEvent]) -> list[Interval]:
    """The durations between the milestones that the response is measured by."""
    figures = review_figures(events)
    started, detected, declared = incident.started_at, incident.detected_at, incident.created_on
    resolved, closed = incident.resolved_at, incident.closed_at
    return [
        Interval("Time to detect", "impact started → detected", _between(started, detected)),
        Interval("Time to declare", "detected → declared", _between(detected, declared)),
        _acknowledgement(events, figures),
        Interval("Time to resolve", "declared → resolved", figures.time_to_resolve),
        Interval("Time to close", "resolved → closed", _between(resolved, closed)),
        Interval("Impact duration", "impact started → resolved", _between(started, resolved)),
    ]


def _acknowledgement(events: Sequence[RecordedEvent], figures: ReviewFigures) -> Interval:
    """Time to acknowledge, as the metrics measure it: from the first page to its
    acknowledgement when the incident was paged, else from the declaration to the first IC."""
    paged = next((r.event.timestamp for r in events if type(r.event) is ev.Paged), None)
    if paged is None:
        between = "declared → first Incident Commander"
        return Interval("Time to acknowledge", between, figures.time_to_acknowledge)
    acknowledged = next(
        (r.event.timestamp for r in events if type(r.event) is ev.Acknowledged), None
    )
    return Interval(
        "Time to acknowledge", "first page → acknowledged", _between(paged, acknowledged)
    )


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    return None if start is None or end is None else end - start


# --- the customer communication ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    """A customer update, and how it stood against the cadence when it was posted."""

    at: datetime
    by: str
    body: str
    final: bool
    since_contact: timedelta
    # When it was due: None if no cadence ran then (resolved, or not classified yet).
    due: datetime | None
    status: str

    @property
    def within_cadence(self) -> bool | None:
        """Whether it came in time; None when it closed no cadence interval."""
        return None if self.due is None else self.at <= self.due


@dataclass(frozen=True, slots=True)
class Communication:
    """Every customer update, the cadence compliance they add up to, and what is due now."""

    updates: list[CustomerUpdate]
    severity: str | None
    interval: timedelta | None
    next_due: datetime | None

    @property
    def intervals(self) -> int:
        """Cadence intervals closed by a customer update (as `rm_incidents` counts them)."""
        return sum(1 for u in self.updates if u.due is not None)

    @property
    def within(self) -> int:
        """How many of those intervals were closed in time."""
        return sum(1 for u in self.updates if u.within_cadence)


def communication(
    incident: Incident, events: Sequence[RecordedEvent], cadence: Cadence
) -> Communication:
    """Each customer update against the cadence clock, as the incidents read model runs it: an
    update on an open, classified incident closes one interval, in time if at or before the
    clock's start plus the current severity's interval."""
    status, severity = Status.OPEN.value, None
    since = events[0].event.timestamp
    updates: list[CustomerUpdate] = []
    for recorded in events:
        event = recorded.event
        at = event.timestamp
        if type(event) is ev.UpdatePosted and event.audience == _CUSTOMER:
            due = customer_update_due(
                status=status, severity=severity, since=since, cadence=cadence
            )
            final = event.kind == UpdateKind.FINAL.value
            updates.append(
                CustomerUpdate(at, event.actor, event.body, final, at - since, due, status)
            )
        elif type(event) is ev.Declared:
            severity = event.severity
        elif type(event) is ev.SeverityChanged:
            severity = event.to_severity
        elif type(event) is ev.Resolved:
            status = Status.RESOLVED.value
        elif type(event) is ev.Closed:
            status = Status.CLOSED.value
        elif type(event) is ev.Reopened:
            status = Status.OPEN.value
        if restarts_cadence(event):
            since = at
    return Communication(
        updates=updates,
        severity=incident.severity,
        interval=cadence.get(incident.severity) if incident.severity else None,
        next_due=next_reminder_due(incident, cadence),
    )
