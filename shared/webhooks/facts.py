"""The few facts about an incident that every webhook message carries, folded from events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.domain.events import event_data, event_name
from shared.domain.values import Status
from shared.eventstore.store import RecordedEvent

_STATUS_AFTER = {
    "Resolved": Status.RESOLVED.value,
    "Closed": Status.CLOSED.value,
    "Reopened": Status.OPEN.value,
}


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
    name = event_name(recorded.event)
    data = event_data(recorded.event)
    if name == "Declared":
        return IncidentFacts(
            number=int(data["number"]),
            title=str(data["title"]),
            severity=data.get("severity"),
            status=Status.OPEN.value,
            version=recorded.version,
            customer_contact_at=recorded.event.timestamp,
        )
    if facts is None:
        raise FactsError(f"{name} of {recorded.originator_id} arrived before Declared")
    severity = data["to_severity"] if name == "SeverityChanged" else facts.severity
    status = _STATUS_AFTER.get(name, facts.status)
    contact, reminders = facts.customer_contact_at, facts.overdue_reminders
    if name == "Reopened" or (name == "UpdatePosted" and data["audience"] == "customer"):
        contact, reminders = recorded.event.timestamp, 0
    elif name == "CustomerUpdateOverdue":
        reminders = int(data["missed_intervals"])
    return IncidentFacts(
        number=facts.number,
        title=facts.title,
        severity=severity,
        status=status,
        version=recorded.version,
        customer_contact_at=contact,
        overdue_reminders=reminders,
    )
