"""Response bodies of the queries, built from read-model rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.incident_api.schemas import IncidentRead, copied
from shared.readmodels.incidents import IncidentRow


class IncidentView(IncidentRead):
    """An incident as the read model holds it: its state plus the figures dashboards need."""

    ic_assigned_at: datetime | None
    reopen_count: int
    last_customer_update_at: datetime | None
    next_customer_update_due: datetime | None
    update_overdue: bool = Field(description="Open, and the next customer update is past due.")
    postmortem_status: str = Field(description="The review: none, started or published.")
    postmortem_required: bool = Field(
        description="Incidents that were ever P1 or P2 (peak_severity) need a published review."
    )
    review_pending: bool = Field(description="A review is required and not published yet.")
    position: int = Field(description="Log position of the incident's latest event.")

    @classmethod
    def from_row(cls, row: IncidentRow, *, now: datetime) -> IncidentView:
        """The view of a read-model row at time `now`."""
        due = row.next_customer_update_due
        return copied(
            cls, row, update_overdue=row.status == "open" and due is not None and due < now
        )


class IncidentPageRead(BaseModel):
    """A page of incidents; pass next_cursor back as `cursor` for the next one."""

    items: list[IncidentView]
    next_cursor: str | None


class TimelineEntryRead(BaseModel):
    """One event of the timeline."""

    position: int
    version: int
    occurred_at: datetime
    actor: str | None
    type: str
    summary: str
    data: dict[str, Any]
    added_later: bool = Field(
        description="Something that happened outside the tool, recorded afterwards: it is "
        "placed at occurred_at; added_at says when it was recorded, actor by whom."
    )
    added_at: datetime | None = Field(description="When an entry added later was recorded.")


class TimelineRead(BaseModel):
    """An incident's timeline in the order things happened: the events in the order they
    were recorded, with entries added later placed at their occurred_at."""

    incident_id: UUID
    reference: str
    items: list[TimelineEntryRead]
