"""The `follow_ups` read model: every follow-up action of every review, across incidents."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import assert_never
from uuid import UUID

from shared.domain import events as ev
from shared.eventstore.store import RecordedEvent


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
    # Issue 11: the first due date (on time is measured against it), how often the due date
    # moved, and the due date a FollowUpOverdue was recorded for.
    original_due_date: date | None = None
    due_date_changes: int = 0
    overdue_for: date | None = None

    # status: open, done, or cancelled (counts neither as done nor as open).

    def overdue(self, today: date) -> bool:
        """Open and past its due date."""
        return self.status == "open" and self.due_date < today

    @property
    def completed_on_time(self) -> bool | None:
        """Done on or before its **first** due date (a date moved later does not make a late
        completion on time); None while not done."""
        if self.completed_at is None:
            return None
        return self.completed_at.date() <= (self.original_due_date or self.due_date)


def follow_up_id_of(recorded: RecordedEvent) -> UUID | None:
    """The follow-up an event is about, or None if it is not a follow-up event."""
    event = recorded.event
    match event:  # the most frequent first: see shared/domain/events.py
        case (
            ev.UpdatePosted()
            | ev.RoleAssigned()
            | ev.SeverityChanged()
            | ev.ImpactAssessed()
            | ev.Escalated()
            | ev.TicketLinked()
            | ev.Declared()
            | ev.CustomerUpdateOverdue()
            | ev.Resolved()
            | ev.Closed()
            | ev.Reopened()
            | ev.DetailsEdited()
            | ev.RoleUnassigned()
            | ev.PostmortemStarted()
            | ev.RootCauseRecorded()
            | ev.ContributingFactorAdded()
            | ev.RecommendationAdded()
            | ev.PostmortemPublished()
            | ev.ImpactWindowSet()
            | ev.TimelineEntryAdded()
            | ev.IncidentLinked()
            | ev.AlertAttached()
            | ev.AlertResolved()
            | ev.AlertsAllResolved()
            | ev.Paged()
            | ev.Acknowledged()
            | ev.PageEscalated()
            | ev.PagingExhausted()
            | ev.HandoverDue()
            | ev.ContributingFactorEdited()
            | ev.ContributingFactorWithdrawn()
            | ev.RecommendationEdited()
            | ev.RecommendationWithdrawn()
            | ev.PostmortemAmended()
        ):
            return None
        case (
            ev.FollowUpAdded()
            | ev.FollowUpCompleted()
            | ev.FollowUpReassigned()
            | ev.FollowUpDueDateChanged()
            | ev.FollowUpCancelled()
            | ev.FollowUpOverdue()
        ):
            return UUID(event.follow_up_id)
        case _:
            assert_never(event)


def project_follow_up(row: FollowUpRow | None, recorded: RecordedEvent) -> FollowUpRow | None:
    """The follow-up row after one of its events (None stays None for unrelated events)."""
    event = recorded.event
    at: datetime = event.timestamp
    if isinstance(event, ev.FollowUpAdded):
        return FollowUpRow(
            id=UUID(event.follow_up_id),
            incident_id=recorded.originator_id,
            title=event.title,
            owner=event.owner,
            due_date=date.fromisoformat(event.due_date),
            ticket=event.ticket,
            status="open",
            added_at=at,
            updated_at=at,
            original_due_date=date.fromisoformat(event.due_date),
        )
    if row is None:
        return None
    match event:
        case ev.FollowUpCompleted():
            return replace(
                row,
                status="done",
                completed_at=at,
                completed_by=event.actor,
                completion_note=event.note,
                updated_at=at,
            )
        case ev.FollowUpReassigned():
            return replace(row, owner=event.owner, updated_at=at)
        case ev.FollowUpCancelled():
            return replace(row, status="cancelled", updated_at=at)
        case ev.FollowUpDueDateChanged():
            return replace(
                row,
                due_date=date.fromisoformat(event.due_date),
                due_date_changes=row.due_date_changes + 1,
                updated_at=at,
            )
        case ev.FollowUpOverdue():
            return replace(row, overdue_for=date.fromisoformat(event.due_date), updated_at=at)
        case (
            ev.Declared()
            | ev.RoleAssigned()
            | ev.SeverityChanged()
            | ev.ImpactAssessed()
            | ev.TicketLinked()
            | ev.UpdatePosted()
            | ev.CustomerUpdateOverdue()
            | ev.Escalated()
            | ev.Resolved()
            | ev.Closed()
            | ev.Reopened()
            | ev.DetailsEdited()
            | ev.RoleUnassigned()
            | ev.PostmortemStarted()
            | ev.RootCauseRecorded()
            | ev.ContributingFactorAdded()
            | ev.RecommendationAdded()
            | ev.PostmortemPublished()
            | ev.ImpactWindowSet()
            | ev.TimelineEntryAdded()
            | ev.IncidentLinked()
            | ev.AlertAttached()
            | ev.AlertResolved()
            | ev.AlertsAllResolved()
            | ev.Paged()
            | ev.Acknowledged()
            | ev.PageEscalated()
            | ev.PagingExhausted()
            | ev.HandoverDue()
            | ev.ContributingFactorEdited()
            | ev.ContributingFactorWithdrawn()
            | ev.RecommendationEdited()
            | ev.RecommendationWithdrawn()
            | ev.PostmortemAmended()
        ):
            return row
        case _:
            assert_never(event)
