"""Request and response bodies of escalation policies and the service catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.incident_api.command_fields import Name
from services.incident_api.people_schemas import Handle
from shared.oncall.events import EscalationPolicyCreated, ServiceCreated
from shared.oncall.store import Recorded


class ScheduleTarget(BaseModel):
    """Page whoever the schedule has on call."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["schedule"]
    id: UUID


class PersonTarget(BaseModel):
    """Page this person."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["person"]
    handle: Handle


Target = Annotated[ScheduleTarget | PersonTarget, Field(discriminator="type")]


class LevelIn(BaseModel):
    """One level: whom to page, and how long to wait for an acknowledgement before the next."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: Annotated[int, Field(ge=1, le=86_400)]
    targets: Annotated[list[Target], Field(min_length=1, max_length=10)]


class EscalationPolicyCreate(BaseModel):
    """Ordered levels, paged one after the other; after the last, the whole policy again
    `repeat` times."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    repeat: Annotated[int, Field(ge=0, le=10)] = 0
    levels: Annotated[list[LevelIn], Field(min_length=1, max_length=10)]


class LevelRead(BaseModel):
    """A level as defined."""

    timeout_seconds: int
    targets: list[ScheduleTarget | PersonTarget]


class EscalationPolicyRead(BaseModel):
    """An escalation policy."""

    id: UUID
    name: str
    repeat: int
    levels: list[LevelRead]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, recorded: Recorded) -> Self:
        """The representation of a recorded EscalationPolicyCreated."""
        event = recorded.event
        assert isinstance(event, EscalationPolicyCreated)
        return cls(
            id=recorded.stream_id,
            name=event.name,
            repeat=event.repeat,
            levels=[LevelRead.model_validate(level) for level in event.levels],
            created_at=recorded.recorded_at,
            created_by=recorded.recorded_by,
        )


class EscalationPolicyList(BaseModel):
    """Every escalation policy, oldest first."""

    items: list[EscalationPolicyRead]


class ServiceCreate(BaseModel):
    """A service of the catalogue: its name (as incidents name it), its team, and the schedule
    and escalation policy that page for it."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    team: Name | None = None
    schedule: UUID | None = None
    escalation_policy: UUID | None = None


class ServiceRead(BaseModel):
    """A service of the catalogue."""

    id: UUID
    name: str
    team: str | None
    schedule: UUID | None
    escalation_policy: UUID | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, recorded: Recorded) -> Self:
        """The representation of a recorded ServiceCreated."""
        event = recorded.event
        assert isinstance(event, ServiceCreated)
        return cls(
            id=recorded.stream_id,
            name=event.name,
            team=event.team,
            schedule=None if event.schedule is None else UUID(event.schedule),
            escalation_policy=(
                None if event.escalation_policy is None else UUID(event.escalation_policy)
            ),
            created_at=recorded.recorded_at,
            created_by=recorded.recorded_by,
        )


class ServiceList(BaseModel):
    """The service catalogue, by name."""

    items: list[ServiceRead]
