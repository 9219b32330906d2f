"""Queries of incidents: the list, one incident (now or as of a time), and its timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import PlainTextResponse

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.problems import ProblemError
from services.incident_api.queries.freshness import MinPosition, wait_for_projection
from services.incident_api.queries.incidents import (
    DEFAULT_SORT,
    IncidentFilter,
    get_incident_row,
    list_incidents,
)
from services.incident_api.queries.timeline import read_timeline
from services.incident_api.read_schemas import (
    IncidentPageRead,
    IncidentView,
    TimelineEntryRead,
    TimelineRead,
)
from services.incident_api.schemas import IncidentRead
from shared.domain.values import Severity, Status
from shared.eventstore.repository import IncidentNotFoundError
from shared.readmodels.markdown import timeline_markdown

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])


@router.get("")
async def list_incidents_route(
    _: Reader,
    services: ServicesDep,
    status: Status | None = None,
    severity: Severity | None = None,
    owner: str | None = None,
    role_holder: Annotated[str | None, Query(description="Holds any role.")] = None,
    service: str | None = None,
    declared_since: datetime | None = None,
    declared_until: datetime | None = None,
    update_overdue: bool | None = None,
    review_pending: Annotated[
        bool | None, Query(description="A P1/P2 review is required and not yet published.")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the title.")] = None,
    sort: Annotated[
        str, Query(description="declared_at, updated_at, number or severity; - for descending.")
    ] = DEFAULT_SORT,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    min_position: MinPosition = None,
) -> IncidentPageRead:
    """Incidents matching every given filter, in a stable order, a page at a time."""
    _check_has_zone("declared_since", declared_since)
    _check_has_zone("declared_until", declared_until)
    await _wait(services, min_position)
    page = await list_incidents(
        services.pool,
        IncidentFilter(
            status=None if status is None else status.value,
            severity=None if severity is None else severity.value,
            owner=owner,
            role_holder=role_holder,
            service=service,
            declared_since=declared_since,
            declared_until=declared_until,
            update_overdue=update_overdue,
            review_pending=review_pending,
            q=q,
        ),
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    now = datetime.now(tz=UTC)
    return IncidentPageRead(
        items=[IncidentView.from_row(row, now=now) for row in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/{incident_id}", response_model=None)
async def get_incident(
    incident_id: UUID,
    _: Reader,
    services: ServicesDep,
    response: Response,
    as_of: Annotated[
        datetime | None,
        Query(description="RFC 3339 time: the incident exactly as it stood then."),
    ] = None,
    min_position: MinPosition = None,
) -> IncidentView | IncidentRead:
    """The incident from the read model; with `as_of`, rebuilt from its events up to then."""
    if as_of is not None:
        _check_has_zone("as_of", as_of)
        incident = await services.repository.get_as_of(incident_id, as_of)
        response.headers["ETag"] = f'"{incident.version}"'
        return IncidentRead.of(incident)
    await _wait(services, min_position)
    row = await get_incident_row(services.pool, incident_id)
    if row is None:
        raise IncidentNotFoundError(incident_id)
    response.headers["ETag"] = f'"{row.version}"'
    return IncidentView.from_row(row, now=datetime.now(tz=UTC))


@router.get(
    "/{incident_id}/timeline",
    response_model=TimelineRead,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def get_timeline(
    incident_id: UUID,
    _: Reader,
    services: ServicesDep,
    accept: Annotated[str | None, Header()] = None,
    min_position: MinPosition = None,
) -> TimelineRead | PlainTextResponse:
    """Every event of the incident with a one-line summary; Markdown with Accept: text/markdown."""
    await _wait(services, min_position)
    row = await get_incident_row(services.pool, incident_id)
    if row is None:
        raise IncidentNotFoundError(incident_id)
    entries = await read_timeline(services.pool, incident_id)
    if _wants(accept) == "markdown":
        return PlainTextResponse(
            timeline_markdown(row, entries), media_type="text/markdown; charset=utf-8"
        )
    return TimelineRead(
        incident_id=incident_id,
        reference=row.reference,
        items=[TimelineEntryRead.of(e) for e in entries],
    )


async def _wait(services: ServicesDep, min_position: int | None) -> None:
    if min_position is not None:
        await wait_for_projection(services.pool, min_position, services.read_wait_seconds)


def _check_has_zone(name: str, moment: datetime | None) -> None:
    # asyncpg would read a time without a zone in this process's local zone, whatever it is.
    if moment is not None and moment.tzinfo is None:
        raise ProblemError(
            422,
            "validation-error",
            "Request is invalid",
            f"{name}: needs a time zone, e.g. 2026-11-26T03:12:00Z",
            field=name,
        )


def _wants(accept: str | None) -> Literal["markdown", "json"]:
    if accept and "text/markdown" in accept and "application/json" not in accept:
        return "markdown"
    return "json"
