"""The `follow_ups` read model: every follow-up action of every review, across incidents."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final
from uuid import UUID

from shared.domain.events import event_actor, event_data, event_name
from shared.eventstore.store import RecordedEvent

FOLLOW_UP_EVENTS: Final = frozenset(
    {"FollowUpAdded", "FollowUpCompleted", "FollowUpReassigned", "FollowUpDueDateChanged"}
)


@dataclass(frozen=True)
class FollowUpRow:
    """One follow-up action and where it stands."""

    id: UUID
    incident_id: UUID
    title: str
    owner: str
    due_date: date
    ticket: str | None
    status: str
    added_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    completion_note: str | None = None

    def overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return self.status == "open" and self.due_date < today

    @property
    def completed_on_time(self) -> bool | None:
        """Done on or before its due date; None while open."""
        if self.completed_at is None:
            return None
        return self.completed_at.date() <= self.due_date


def follow_up_id_of(recorded: RecordedEvent) -> UUID | None:
    """The follow-up an event is about, or None if it is not a follow-up event."""
    if event_name(recorded.event) not in FOLLOW_UP_EVENTS:
        return None
    return UUID(str(event_data(recorded.event)["follow_up_id"]))


def project_follow_up(row: FollowUpRow | None, recorded: RecordedEvent) -> FollowUpRow | None:
    """The follow-up row after one of its events (None stays None for unrelated events)."""
    name = event_name(recorded.event)
    data = event_data(recorded.event)
    at: datetime = recorded.event.timestamp
    if name == "FollowUpAdded":
        return FollowUpRow(
            id=UUID(str(data["follow_up_id"])),
            incident_id=recorded.originator_id,
            title=data["title"],
            owner=data["owner"],
            due_date=date.fromisoformat(data["due_date"]),
            ticket=data.get("ticket"),
            status="open",
            added_at=at,
            updated_at=at,
        )
    if row is None:
        return None
    if name == "FollowUpCompleted":
        return replace(
            row,
            status="done",
            completed_at=at,
            completed_by=event_actor(recorded.event),
            completion_note=data.get("note"),
            updated_at=at,
        )
    if name == "FollowUpReassigned":
        return replace(row, owner=data["owner"], updated_at=at)
    if name == "FollowUpDueDateChanged":
        return replace(row, due_date=date.fromisoformat(data["due_date"]), updated_at=at)
    return row
