"""Request and response bodies of the schedules API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.incident_api.command_fields import Moment
from services.incident_api.oncall_types import CLOCK_TIME_PATTERN, TimeZone
from services.incident_api.people_schemas import Handle
from services.incident_api.plain_text import PLAIN_TEXT
from shared.oncall.events import OverrideAdded
from shared.oncall.history import Shift
from shared.oncall.rotation import ROTATION_PATTERN
from shared.oncall.store import Recorded

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN_TEXT
]
ClockTime = Annotated[str, StringConstraints(pattern=CLOCK_TIME_PATTERN), Field(examples=["09:00"])]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Bounded = Annotated[
    Moment,
    Field(
        description="RFC 3339 with an offset, from 2000 to 2099",
        examples=["2027-01-04T09:00:00+01:00"],
    ),
]
Rotation = Annotated[
    str, StringConstraints(pattern=ROTATION_PATTERN), Field(examples=["P1D", "P7D", "PT12H"])
]


class RestrictionIn(BaseModel):
    """When a layer puts someone on call: on these weekdays, from `start` to `end` on the
    schedule's wall clock (an `end` not after `start` ends the next day; 00:00-00:00 is the
    whole day)."""

    model_config = ConfigDict(extra="forbid")

    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)]
    start: ClockTime
    end: ClockTime


class LayerIn(BaseModel):
    """A rotation: from `start`, the participants in turn, handing over every `rotation`
    (ISO 8601: weeks, days or hours) at `handoff_time` (HH:MM on the schedule's wall clock;
    the start's own time when left out)."""

    model_config = ConfigDict(extra="forbid")

    start: Bounded
    rotation: Rotation
    handoff_time: ClockTime | None = None
    participants: Annotated[list[Handle], Field(min_length=1, max_length=100)]
    restrictions: Annotated[list[RestrictionIn], Field(max_length=20)] = []


Layers = Annotated[list[LayerIn], Field(min_length=1, max_length=10)]


class ScheduleCreate(BaseModel):
    """A schedule: a name, a time zone and its rotation layers (a later layer takes
    precedence where it has someone on call)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    time_zone: TimeZone
    layers: Layers


class ScheduleUpdate(BaseModel):
    """Change the name, the time zone or the layers (the whole list); overrides stay."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    time_zone: TimeZone | None = None
    layers: Layers | None = None


class OverrideCreate(BaseModel):
    """`person` is on call from `start` to `end`, over every layer."""

    model_config = ConfigDict(extra="forbid")

    person: Handle
    start: Bounded
    end: Annotated[Moment, Field(examples=["2027-01-05T09:00:00+01:00"])]


class RestrictionRead(BaseModel):
    """A layer's restriction."""

    weekdays: list[str]
    start: str
    end: str


class LayerRead(BaseModel):
    """A layer as defined."""

    start: datetime
    rotation: str
    handoff_time: str
    participants: list[str]
    restrictions: list[RestrictionRead]


class OverrideRead(BaseModel):
    """An override and who added it when."""

    id: UUID
    person: str
    start: datetime
    end: datetime
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, recorded: Recorded) -> Self:
        """The representation of a recorded OverrideAdded."""
        event = recorded.event
        assert isinstance(event, OverrideAdded)
        return cls(
            id=UUID(event.override_id),
            person=event.person,
            start=datetime.fromisoformat(event.start),
            end=datetime.fromisoformat(event.end),
            created_at=recorded.recorded_at,
            created_by=recorded.recorded_by,
        )


class ScheduleRead(BaseModel):
    """A schedule as it is now; `version` counts its changes (overrides included)."""

    id: UUID
    name: str
    time_zone: str
    layers: list[LayerRead]
    overrides: list[OverrideRead]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime


class ScheduleList(BaseModel):
    """Every schedule, oldest first."""

    items: list[ScheduleRead]


class ShiftBounds(BaseModel):
    """When a shift starts and ends."""

    start: datetime
    end: datetime


class OnCallRead(BaseModel):
    """Who is on call `at`, and the shift they are in (null when nobody is)."""

    at: datetime
    people: list[str]
    shift: ShiftBounds | None


class ShiftRead(BaseModel):
    """Someone on call from `start` to `end`."""

    people: list[str]
    start: datetime
    end: datetime

    @classmethod
    def of(cls, shift: Shift) -> Self:
        """The representation of a shift."""
        return cls(people=list(shift.people), start=shift.start, end=shift.end)


class ShiftList(BaseModel):
    """The shifts that overlap [since, until), each whole, in order."""

    since: datetime
    until: datetime
    items: list[ShiftRead]


def layer_read(data: dict[str, Any]) -> LayerRead:
    """A stored layer's representation."""
    return LayerRead.model_validate(data)
