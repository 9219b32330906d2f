"""Follow-up actions across all incidents: what is still to do, and by whom."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.queries.follow_ups import list_follow_ups
from services.incident_api.queries.freshness import wait_for_projection
from shared.readmodels.follow_ups import FollowUpRow

router = APIRouter(prefix="/v1/follow-ups", tags=["post-incident review"])


class FollowUpView(BaseModel):
    """A follow-up action and where it stands."""

    id: UUID
    incident_id: UUID
    title: str
    owner: str
    due_date: date
    ticket: str | None
    status: str
    overdue: bool
    added_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    completion_note: str | None

    @classmethod
    def of(cls, row: FollowUpRow, *, today: date) -> FollowUpView:
        """From a read-model row."""
        return cls(
            id=row.id,
            incident_id=row.incident_id,
            title=row.title,
            owner=row.owner,
            due_date=row.due_date,
            ticket=row.ticket,
            status=row.status,
            overdue=row.overdue(today),
            added_at=row.added_at,
            completed_at=row.completed_at,
            completed_by=row.completed_by,
            completion_note=row.completion_note,
        )


class FollowUpList(BaseModel):
    """Follow-ups, soonest due first."""

    items: list[FollowUpView]


@router.get("")
async def follow_ups(
    _: Reader,
    services: ServicesDep,
    status: Literal["open", "done"] | None = None,
    owner: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    min_position: Annotated[int | None, Query(ge=0)] = None,
) -> FollowUpList:
    """Follow-ups across incidents, filtered by status, owner and overdue."""
    if min_position is not None:
        await wait_for_projection(services.pool, min_position, services.read_wait_seconds)
    today = datetime.now(tz=UTC).date()
    rows = await list_follow_ups(
        services.pool, status=status, owner=owner, overdue=overdue, today=today, limit=limit
    )
    return FollowUpList(items=[FollowUpView.of(r, today=today) for r in rows])
