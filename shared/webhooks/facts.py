"""The few facts about an incident that every webhook message carries, folded from events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import assert_never

from shared.domain import events as ev
from shared.domain.events import event_name
from shared.domain.rules import restarts_cadence
from shared.domain.values import Status
from shared.eventstore.store import RecordedEvent


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """Number, title, severity and status of an incident after some event."""

    number: int
    title: str
    severity: str | None
    status: str
    version: int
    # When the customer-update cadence last restarted, and reminders recorded since then.
    customer_contact_at: datetime
    overdue_reminders: int = 0


class FactsError(Exception):
    """An event arrived before the incident's Declared."""


def facts_after(facts: IncidentFacts | None, recorded: RecordedEvent) -> IncidentFacts:
    """The facts after one more event."""
    event = recorded.event
    if type(event) is ev.Declared:
        return IncidentFacts(
            number=event.number,
            title=event.title,
            severity=event.severity,
            status=Status.OPEN.value,
            version=recorded.version,
            customer_contact_at=event.timestamp,
        )
    if facts is None:
        raise FactsError(f"{event_name(event)} of {recorded.originator_id} arrived before Declared")
    title, severity, status = facts.title, facts.severity, facts.status
    contact, reminders = facts.customer_contact_at, facts.overdue_reminders
    match event:  # the most frequent first: see shared/domain/events.py
        case ev.UpdatePosted() | ev.RoleAssigned():
            pass
        case ev.SeverityChanged():
            severity = event.to_severity
        case ev.DetailsEdited():
            title = event.after.get("title", title)
        case (
            ev.ImpactAssessed()
            | ev.RoleUnassigned()
            | ev.Escalated()
            | ev.TicketLinked()
            | ev.PostmortemStarted()
            | ev.RootCauseRecorded()
            | ev.ContributingFactorAdded()
            | ev.RecommendationAdded()
            | ev.FollowUpAdded()
            | ev.FollowUpCompleted()
            | ev.FollowUpReassigned()
            | ev.FollowUpDueDateChanged()
            | ev.PostmortemPublished()
            | ev.ImpactWindowSet()
            | ev.TimelineEntryAdded()
            | ev.IncidentLinked()
            | ev.ContributingFactorEdited()
            | ev.ContributingFactorWithdrawn()
            | ev.RecommendationEdited()
            | ev.RecommendationWithdrawn()
            | ev.PostmortemAmended()
            | ev.FollowUpCancelled()
            | ev.FollowUpOverdue()
            | ev.AlertAttached()
            | ev.AlertResolved()
            | ev.AlertsAllResolved()
            | ev.Paged()
            | ev.Acknowledged()
            | ev.PageEscalated()
            | ev.PagingExhausted()
            | ev.HandoverDue()
        ):
            pass
        case ev.Resolved():
            status = Status.RESOLVED.value
        case ev.Closed():
            status = Status.CLOSED.value
        case ev.Reopened():
            status = Status.OPEN.value
        case ev.CustomerUpdateOverdue():
            reminders = event.missed_intervals
        case _:
            assert_never(event)
    if restarts_cadence(event):
        contact, reminders = event.timestamp, 0
    return IncidentFacts(
        number=facts.number,
        title=title,
        severity=severity,
        status=status,
        version=recorded.version,
        customer_contact_at=contact,
        overdue_reminders=reminders,
    )
