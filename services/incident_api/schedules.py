"""Schedules for the API: load one from the on-call log, check a definition, record a change.

A change reads the schedule's stream, checks the change against it and appends the next
version; should another change land first, it reads again and retries (a few times), so two
admins adding overrides at once both succeed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, time
from typing import Final
from uuid import UUID

import asyncpg

from services.incident_api.errors import InvalidParameterError, UnknownPersonError
from services.incident_api.openapi_responses import ProblemSet
from services.incident_api.problems import ProblemError
from services.incident_api.schedule_schemas import (
    LayerIn,
    OverrideRead,
    ScheduleRead,
    layer_read,
)
from shared.oncall.events import (
    OncallEvent,
    OverrideAdded,
    ScheduleChanged,
    ScheduleCreated,
    layer_data,
    schedule_versions,
)
from shared.oncall.history import ScheduleHistory
from shared.oncall.store import Recorded, StreamConflictError, append, read_stream
from shared.oncall.time_zones import zone
from shared.people import unknown_handles

EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
_ATTEMPTS: Final = 10

SCHEDULE_LOOKUP: ProblemSet = ((404, "schedule-not-found"),)
CHANGE_RACE: ProblemSet = ((503, "store-busy"),)


def schedule_not_found(schedule_id: UUID) -> ProblemError:
    """404 schedule-not-found."""
    return ProblemError(
        404, "schedule-not-found", "Schedule not found", f"no schedule {schedule_id}"
    )


def in_bounds(moment: datetime, field: str) -> datetime:
    """`moment`, if it lies in the years schedules cover (2000 to 2099); else 422."""
    if not EARLIEST <= moment < LATEST:
        raise InvalidParameterError(
            f"{field}: must be from {EARLIEST.date()} and before {LATEST.date()}", field=field
        )
    return moment


async def load(pool: asyncpg.Pool, schedule_id: UUID) -> list[Recorded]:
    """The schedule's events; 404 if there is no such schedule."""
    recorded = await read_stream(pool, schedule_id, "schedule")
    if not recorded:
        raise schedule_not_found(schedule_id)
    return recorded


def history(recorded: Sequence[Recorded]) -> ScheduleHistory:
    """The schedule through time."""
    return ScheduleHistory(schedule_versions([(r.recorded_at, r.event) for r in recorded]))


def representation(schedule_id: UUID, recorded: Sequence[Recorded]) -> ScheduleRead:
    """The schedule as it is now."""
    definition: ScheduleCreated | ScheduleChanged | None = None
    overrides: list[OverrideRead] = []
    for r in recorded:
        if isinstance(r.event, ScheduleCreated | ScheduleChanged):
            definition = r.event
        elif isinstance(r.event, OverrideAdded):
            overrides.append(OverrideRead.of(r))
    assert definition is not None
    return ScheduleRead(
        id=schedule_id,
        name=definition.name,
        time_zone=definition.time_zone,
        layers=[layer_read(layer) for layer in definition.layers],
        overrides=overrides,
        version=recorded[-1].version,
        created_at=recorded[0].recorded_at,
        created_by=recorded[0].recorded_by,
        updated_at=recorded[-1].recorded_at,
    )


async def checked_layers(
    pool: asyncpg.Pool, layers: Sequence[LayerIn], time_zone: str
) -> list[dict[str, object]]:
    """The layers as events store them; 422 for a start out of bounds or a participant
    nobody knows."""
    tz = zone(time_zone)
    stored: list[dict[str, object]] = []
    for index, layer in enumerate(layers):
        in_bounds(layer.start, f"layers[{index}].start")
        unknown = await unknown_handles(pool, layer.participants)
        if unknown:
            raise UnknownPersonError(f"layers[{index}].participants", unknown[0])
        if layer.handoff_time is None:
            handoff_text = layer.start.astimezone(tz).strftime("%H:%M")
        else:
            handoff_text = time.fromisoformat(layer.handoff_time).strftime("%H:%M")
        stored.append(
            layer_data(
                start=layer.start.astimezone(UTC),
                rotation=layer.rotation,
                handoff_time=handoff_text,
                participants=list(layer.participants),
                restrictions=[r.model_dump() for r in layer.restrictions],
            )
        )
    return stored


async def record_change(
    pool: asyncpg.Pool,
    schedule_id: UUID,
    change: Callable[[list[Recorded]], Awaitable[OncallEvent]],
    *,
    actor: str,
) -> list[Recorded]:
    """Append the event `change` makes of the schedule's events as they are; the events
    after it. Retries when another change lands first; 503 store-busy if that keeps
    happening."""
    for _ in range(_ATTEMPTS):
        recorded = await load(pool, schedule_id)
        event = await change(recorded)
        try:
            added = await append(
                pool, schedule_id, "schedule", event, version=len(recorded) + 1, actor=actor
            )
        except StreamConflictError:
            continue
        return [*recorded, added]
    raise ProblemError(
        503,
        "store-busy",
        "Busy",
        f"schedule {schedule_id} kept changing while this change was made; try again",
        headers={"Retry-After": "1"},
    )
