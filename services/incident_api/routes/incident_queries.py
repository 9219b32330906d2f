"""Queries of incidents: the list, one incident (now or as of a time), and its timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.errors import InvalidParameterError, UnknownIncidentError
from services.incident_api.markdown import timeline_markdown
from services.incident_api.openapi_responses import (
    CURSOR,
    FRESHNESS,
    INCIDENT_LOOKUP,
    PARAMETERS,
    READ,
    answers,
)
from services.incident_api.queries.freshness import MinPosition, wait_until_projected
from services.incident_api.queries.incidents import (
    DEFAULT_SORT,
    SORT_KEYS,
    IncidentFilter,
    get_incident_row,
    list_incidents,
)
from services.incident_api.queries.timeline import read_timeline
from services.incident_api.query_times import QueryTime
from services.incident_api.read_schemas import (
    IncidentPageRead,
    IncidentView,
    TimelineRead,
)
from services.incident_api.references import IncidentKey, incident_named
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.routes.markdown import Accept, markdown, wants_markdown
from services.incident_api.schemas import IncidentRead, copied
from shared.domain.values import Severity, Status

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], route_class=CheckedRoute)


@router.get("", responses=answers(READ, PARAMETERS, FRESHNESS, CURSOR))
async def list_incidents_route(
    _: Reader,
    services: ServicesDep,
    status: Status | None = None,
    severity: Severity | None = None,
    owner: str | None = None,
    role_holder: Annotated[
        str | None,
        Query(description="Holds any role, or acts as IC (the owner until one is named)."),
    ] = None,
    involves: Annotated[
        str | None,
        Query(description="Owns it, acts as IC, holds any role, or owns an open follow-up of it."),
    ] = None,
    service: str | None = None,
    declared_since: QueryTime | None = None,
    declared_until: QueryTime | None = None,
    update_overdue: bool | None = None,
    review_pending: Annotated[
        bool | None, Query(description="A P1/P2 review is required and not yet published.")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the title.")] = None,
    sort: Annotated[
        str,
        Query(
            description="declared_at, updated_at, number or severity; - for descending.",
            json_schema_extra={"enum": [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)]},
        ),
    ] = DEFAULT_SORT,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    min_position: MinPosition = None,
) -> IncidentPageRead:
    """Incidents matching every given filter, in a stable order, a page at a time."""
    _check_has_zone("declared_since", declared_since)
    _check_has_zone("declared_until", declared_until)
    # Everything this process appended: any of it may change what the list shows.
    await _wait(services, min_position, own=services.commands.own_writes.highest)
    page = await list_incidents(
        services.pool,
        IncidentFilter(
            status=None if status is None else status.value,
            severity=None if severity is None else severity.value,
            owner=owner,
            role_holder=role_holder,
            involves=involves,
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


@router.get(
    "/{incident_id}",
    response_model=None,
    responses=answers(READ, PARAMETERS, INCIDENT_LOOKUP, FRESHNESS, headers=("ETag",)),
)
async def get_incident(
    incident_id: IncidentKey,
    _: Reader,
    services: ServicesDep,
    response: Response,
    as_of: Annotated[
        QueryTime | None,
        Query(description="RFC 3339 time: the incident exactly as it stood then."),
    ] = None,
    min_position: MinPosition = None,
) -> IncidentView | IncidentRead:
    """The incident from the read model; with `as_of`, rebuilt from its events up to then."""
    found = await incident_named(services, incident_id, min_position=min_position)
    if as_of is not None:
        _check_has_zone("as_of", as_of)
        incident = await services.commands.load(found, as_of=as_of)
        response.headers["ETag"] = f'"{incident.version}"'
        return IncidentRead.of(incident)
    await _wait(services, min_position, own=services.commands.own_writes.position_of(found))
    row = await get_incident_row(services.pool, found)
    if row is None:
        raise UnknownIncidentError(incident_id)
    response.headers["ETag"] = f'"{row.version}"'
    return IncidentView.from_row(row, now=datetime.now(tz=UTC))


@router.get(
    "/{incident_id}/timeline",
    response_model=TimelineRead,
    responses=answers(READ, PARAMETERS, INCIDENT_LOOKUP, FRESHNESS, markdown=True),
)
async def get_timeline(
    incident_id: IncidentKey,
    _: Reader,
    services: ServicesDep,
    accept: Accept = None,
    min_position: MinPosition = None,
) -> TimelineRead | PlainTextResponse:
    """Every event of the incident with a one-line summary; Markdown with Accept: text/markdown."""
    found = await incident_named(services, incident_id, min_position=min_position)
    await _wait(services, min_position, own=services.commands.own_writes.position_of(found))
    row = await get_incident_row(services.pool, found)
    if row is None:
        raise UnknownIncidentError(incident_id)
    entries = await read_timeline(services.pool, found)
    if wants_markdown(accept):
        return markdown(timeline_markdown(row, entries))
    return copied(TimelineRead, row, incident_id=found, items=entries)


async def _wait(services: ServicesDep, min_position: int | None, *, own: int) -> None:
    """Wait for the client's `min_position` and for `own`, what this process wrote."""
    await wait_until_projected(
        services.pool,
        services.commands.own_writes,
        own=own,
        min_position=min_position,
        wait_seconds=services.read_wait_seconds,
    )


def _check_has_zone(name: str, moment: datetime | None) -> None:
    # asyncpg would read a time without a zone in this process's local zone, whatever it is.
    if moment is not None and moment.tzinfo is None:
        raise InvalidParameterError(
            f"{name}: needs a time zone, e.g. 2026-11-26T03:12:00Z", field=name
        )
