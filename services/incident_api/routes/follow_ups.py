"""Follow-up actions across all incidents: what is still to do, and by whom."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.openapi_responses import FRESHNESS, PARAMETERS, READ, answers
from services.incident_api.queries.follow_ups import incident_names, list_follow_ups
from services.incident_api.queries.freshness import MinPosition, wait_until_projected
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.schemas import copied
from shared.readmodels.follow_ups import FollowUpRow

router = APIRouter(prefix="/v1/follow-ups", tags=["post-incident review"], route_class=CheckedRoute)


class FollowUpView(BaseModel):
    """A follow-up action and where it stands."""

    id: UUID
    incident_id: UUID
    incident_reference: str | None = Field(description="INC-<number> of its incident.")
    incident_title: str | None = Field(description="Its incident's title.")
    title: str
    owner: str
    due_date: date
    original_due_date: date | None = Field(
        description="The first due date: completed on time is measured against it."
    )
    due_date_changes: int = Field(description="How often the due date was moved.")
    ticket: str | None
    status: str = Field(description="open, done, or cancelled (neither done nor open).")
    overdue: bool
    added_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    completion_note: str | None

    @classmethod
    def of(cls, row: FollowUpRow, *, today: date, incident: tuple[int, str] | None) -> FollowUpView:
        """From a read-model row and its incident's number and title (None if not projected)."""
        return copied(
            cls,
            row,
            overdue=row.overdue(today),
            incident_reference=None if incident is None else f"INC-{incident[0]}",
            incident_title=None if incident is None else incident[1],
        )


class FollowUpList(BaseModel):
    """Follow-ups, soonest due first."""

    items: list[FollowUpView]


@router.get("", responses=answers(READ, PARAMETERS, FRESHNESS))
async def follow_ups(
    _: Reader,
    services: ServicesDep,
    status: Literal["open", "done", "cancelled"] | None = None,
    owner: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    min_position: MinPosition = None,
) -> FollowUpList:
    """Follow-ups across incidents, filtered by status, owner and overdue."""
    await wait_until_projected(
        services.pool,
        services.commands.own_writes,
        own=services.commands.own_writes.highest,
        min_position=min_position,
        wait_seconds=services.read_wait_seconds,
    )
    today = datetime.now(tz=UTC).date()
    rows = await list_follow_ups(
        services.pool, status=status, owner=owner, overdue=overdue, today=today, limit=limit
    )
    incidents = await incident_names(services.pool, [r.incident_id for r in rows])
    return FollowUpList(
        items=[FollowUpView.of(r, today=today, incident=incidents.get(r.incident_id)) for r in rows]
    )
