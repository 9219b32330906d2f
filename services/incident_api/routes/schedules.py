"""On-call schedules: admins define them, writers add overrides, anyone asks who is on call.

Every change is an event of the schedule's own stream (`shared.oncall`), so who was on call
at an instant is answered by the schedule as it stood then (docs/oncall.md).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status

from services.incident_api.deps import Admin, Reader, ServicesDep, Writer
from services.incident_api.errors import InvalidParameterError, UnknownPersonError
from services.incident_api.openapi_responses import (
    ADMIN,
    BODY,
    NAMES_PEOPLE,
    PARAMETERS,
    READ,
    WRITE,
    answers,
)
from services.incident_api.query_times import QueryTime
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.schedule_schemas import (
    OnCallRead,
    OverrideCreate,
    OverrideRead,
    ScheduleCreate,
    ScheduleList,
    ScheduleRead,
    ScheduleUpdate,
    ShiftBounds,
    ShiftList,
    ShiftRead,
)
from services.incident_api.schedules import (
    CHANGE_RACE,
    SCHEDULE_LOOKUP,
    checked_layers,
    history,
    in_bounds,
    load,
    record_change,
    representation,
)
from shared.oncall.calendar import shifts_calendar
from shared.oncall.events import OncallEvent, OverrideAdded, ScheduleChanged, ScheduleCreated
from shared.oncall.history import Shift, TooManyShiftsError
from shared.oncall.store import Recorded, append, read_streams
from shared.people import unknown_handles

router = APIRouter(prefix="/v1/schedules", tags=["on-call"], route_class=CheckedRoute)

MAX_WINDOW: Final = timedelta(days=92)
ICS_MEDIA_TYPE: Final = "text/calendar"

_ONE = answers(READ, PARAMETERS, SCHEDULE_LOOKUP)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(ADMIN, BODY, NAMES_PEOPLE, status=201, headers=("Location",)),
)
async def create_schedule(
    body: ScheduleCreate, actor: Admin, services: ServicesDep, response: Response
) -> ScheduleRead:
    """Define a schedule: its time zone and rotation layers."""
    layers = await checked_layers(services.pool, body.layers, body.time_zone)
    schedule_id = uuid.uuid4()
    event = ScheduleCreated(name=body.name, time_zone=body.time_zone, layers=layers)
    recorded = await append(
        services.pool, schedule_id, "schedule", event, version=1, actor=actor.principal
    )
    response.headers["Location"] = f"/v1/schedules/{schedule_id}"
    return representation(schedule_id, [recorded])


@router.get("", responses=answers(READ))
async def list_schedules(_: Reader, services: ServicesDep) -> ScheduleList:
    """Every schedule as it is now, oldest first."""
    streams = await read_streams(services.pool, "schedule")
    return ScheduleList(items=[representation(i, r) for i, r in streams.items()])


# One route serves `/v1/schedules/{id}` and `/v1/schedules/{id}.ics`: a route of its own for
# the calendar would share its paths with `/v1/schedules/{id}` (whose `{id}` matches `x.ics`
# too), and a PATCH or a 405's Allow would take the calendar for the schedule.
SCHEDULE_OR_CALENDAR: Final = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(\.ics)?$"
)


@router.get(
    "/{schedule_id}",
    response_model=ScheduleRead,
    responses={
        **_ONE,
        200: {"content": {ICS_MEDIA_TYPE: {"schema": {"type": "string"}}}},
    },
)
async def read_schedule(
    schedule_id: Annotated[
        str,
        Path(
            pattern=SCHEDULE_OR_CALENDAR,
            description="The schedule's id; with `.ics` after it, its shifts as iCalendar.",
            examples=["5b0c4f0e-8d53-4c1e-9b8e-2f7f1d0e6a11"],
        ),
    ],
    _: Reader,
    services: ServicesDep,
    since: Annotated[
        QueryTime | None, Query(description="`.ics` only; default: 7 days ago")
    ] = None,
    until: Annotated[
        QueryTime | None, Query(description="`.ics` only; default: 28 days from now")
    ] = None,
) -> Any:
    """One schedule as it is now, with its overrides; `{id}.ics`: its shifts as iCalendar
    (RFC 5545), one event per shift, to subscribe to."""
    calendar = schedule_id.endswith(".ics")
    the_id = UUID(schedule_id.removesuffix(".ics"))
    recorded = await load(services.pool, the_id)
    if not calendar:
        if since is not None or until is not None:
            field = "since" if since is not None else "until"
            raise InvalidParameterError(f"{field}: only for the .ics calendar", field=field)
        return representation(the_id, recorded)
    now = datetime.now(tz=UTC)
    start, end = _window(since or now - timedelta(days=7), until or now + timedelta(days=28))
    shifts = _shifts(recorded, start, end)
    name = representation(the_id, recorded).name
    body = shifts_calendar(the_id, name, shifts, stamp=now)
    return Response(content=body, media_type=ICS_MEDIA_TYPE)


@router.patch(
    "/{schedule_id}",
    responses=answers(ADMIN, PARAMETERS, BODY, SCHEDULE_LOOKUP, NAMES_PEOPLE, CHANGE_RACE),
)
async def change_schedule(
    schedule_id: UUID, body: ScheduleUpdate, actor: Admin, services: ServicesDep
) -> ScheduleRead:
    """Change the name, the time zone or the layers (from now on: the past stays as it was)."""
    for field in ("name", "time_zone", "layers"):
        if field in body.model_fields_set and getattr(body, field) is None:
            raise InvalidParameterError(f"{field}: may not be null", field=field)

    async def change(recorded: list[Recorded]) -> OncallEvent:
        now = representation(schedule_id, recorded)
        time_zone = body.time_zone or now.time_zone
        if body.layers is not None:
            layers = await checked_layers(services.pool, body.layers, time_zone)
        else:
            layers = [layer.model_dump(mode="json") for layer in now.layers]
        return ScheduleChanged(name=body.name or now.name, time_zone=time_zone, layers=layers)

    recorded = await record_change(services.pool, schedule_id, change, actor=actor.principal)
    return representation(schedule_id, recorded)


@router.post(
    "/{schedule_id}/overrides",
    status_code=status.HTTP_201_CREATED,
    responses=answers(
        WRITE, PARAMETERS, BODY, SCHEDULE_LOOKUP, NAMES_PEOPLE, CHANGE_RACE, status=201
    ),
)
async def add_override(
    schedule_id: UUID, body: OverrideCreate, actor: Writer, services: ServicesDep
) -> OverrideRead:
    """Put `person` on call from `start` to `end`, over every layer."""
    in_bounds(body.start, "start")
    in_bounds(body.end, "end")
    if body.end <= body.start:
        raise InvalidParameterError("end: must be after start", field="end")
    if await unknown_handles(services.pool, [body.person]):
        raise UnknownPersonError("person", body.person)
    override_id = str(uuid.uuid4())

    async def change(_: list[Recorded]) -> OncallEvent:
        return OverrideAdded(
            override_id=override_id,
            person=body.person,
            start=body.start.astimezone(UTC).isoformat(),
            end=body.end.astimezone(UTC).isoformat(),
        )

    recorded = await record_change(services.pool, schedule_id, change, actor=actor.principal)
    return OverrideRead.of(recorded[-1])


@router.get("/{schedule_id}/on-call", responses=_ONE)
async def on_call(
    schedule_id: UUID,
    _: Reader,
    services: ServicesDep,
    at: Annotated[QueryTime | None, Query(description="default: now")] = None,
) -> OnCallRead:
    """Who is on call `at`, by the schedule as it stood then, and their shift."""
    moment = in_bounds(at or datetime.now(tz=UTC), "at").astimezone(UTC)
    slot = history(await load(services.pool, schedule_id)).on_call(moment)
    shift = None
    if slot.people and slot.start is not None and slot.end is not None:
        shift = ShiftBounds(start=slot.start, end=slot.end)
    return OnCallRead(at=moment, people=list(slot.people), shift=shift)


@router.get("/{schedule_id}/shifts", responses=_ONE)
async def shifts(
    schedule_id: UUID,
    _: Reader,
    services: ServicesDep,
    since: Annotated[QueryTime | None, Query(description="default: now")] = None,
    until: Annotated[QueryTime | None, Query(description="default: since + 7 days")] = None,
) -> ShiftList:
    """The shifts that overlap [since, until) (at most 92 days), each whole, in order."""
    recorded = await load(services.pool, schedule_id)
    start = since or datetime.now(tz=UTC)
    start, end = _window(start, until or start + timedelta(days=7))
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    found = _shifts(recorded, start, end)
    return ShiftList(since=start, until=end, items=[ShiftRead.of(s) for s in found])


def _window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    in_bounds(since, "since")
    in_bounds(until, "until")
    if until <= since:
        raise InvalidParameterError("until: must be after since", field="until")
    if until - since > MAX_WINDOW:
        raise InvalidParameterError(
            f"until: at most {MAX_WINDOW.days} days after since", field="until"
        )
    return since, until


def _shifts(recorded: list[Recorded], since: datetime, until: datetime) -> list[Shift]:
    try:
        return history(recorded).shifts(since, until)
    except TooManyShiftsError as error:
        raise InvalidParameterError(
            f"until: {error}; ask for a shorter window", field="until"
        ) from None
