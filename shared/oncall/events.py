"""The on-call log's events: one typed payload per event, stored as JSON under a stable name.

A schedule's events fold into its versions (`schedule_versions`): each event is a new version,
in force from when it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Final, assert_never
from uuid import UUID

from shared.oncall.rotation import parse_rotation
from shared.oncall.schedule import WEEKDAYS, Layer, Override, Restriction, Schedule


@dataclass(frozen=True, slots=True)
class ScheduleCreated:
    """A schedule was defined: its name, zone and layers (as `layer_data` writes them)."""

    name: str
    time_zone: str
    layers: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ScheduleChanged:
    """A schedule's definition was replaced (its overrides stay)."""

    name: str
    time_zone: str
    layers: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class OverrideAdded:
    """`person` is on call from `start` to `end`, over the layers."""

    override_id: str
    person: str
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class EscalationPolicyCreated:
    """An escalation policy: its levels, and how many times it repeats after the last."""

    name: str
    repeat: int
    levels: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ServiceCreated:
    """A service of the catalogue: whose schedule and escalation policy page for it."""

    name: str
    team: str | None
    schedule: str | None
    escalation_policy: str | None


OncallEvent = (
    ScheduleCreated | ScheduleChanged | OverrideAdded | EscalationPolicyCreated | ServiceCreated
)

EVENT_TYPES: Final[dict[str, type[OncallEvent]]] = {
    "ScheduleCreated": ScheduleCreated,
    "ScheduleChanged": ScheduleChanged,
    "OverrideAdded": OverrideAdded,
    "EscalationPolicyCreated": EscalationPolicyCreated,
    "ServiceCreated": ServiceCreated,
}
"""Stored name → class: the names are a contract and never change."""


def event_name(event: OncallEvent) -> str:
    """The stored name of an event."""
    return type(event).__name__


def decode(name: str, data: dict[str, Any]) -> OncallEvent:
    """A stored event back into its class."""
    return EVENT_TYPES[name](**data)


def layer_data(
    *,
    start: datetime,
    rotation: str,
    handoff_time: str,
    participants: list[str],
    restrictions: list[dict[str, Any]],
) -> dict[str, Any]:
    """A layer as events store it (and the API shows it)."""
    return {
        "start": start.isoformat(),
        "rotation": rotation,
        "handoff_time": handoff_time,
        "participants": participants,
        "restrictions": restrictions,
    }


def _layer(data: dict[str, Any]) -> Layer:
    return Layer(
        start=datetime.fromisoformat(data["start"]),
        rotation=parse_rotation(data["rotation"]),
        handoff=time.fromisoformat(data["handoff_time"]),
        participants=tuple(data["participants"]),
        restrictions=tuple(
            Restriction(
                weekdays=frozenset(WEEKDAYS.index(d) for d in r["weekdays"]),
                start=time.fromisoformat(r["start"]),
                end=time.fromisoformat(r["end"]),
            )
            for r in data["restrictions"]
        ),
    )


def schedule_versions(
    events: list[tuple[datetime, OncallEvent]],
) -> list[tuple[datetime, Schedule]]:
    """Each version of a schedule, with when it was recorded, from its events in order."""
    versions: list[tuple[datetime, Schedule]] = []
    current: Schedule | None = None
    for recorded_at, event in events:
        match event:
            case ScheduleCreated() | ScheduleChanged():
                current = Schedule(
                    name=event.name,
                    time_zone=event.time_zone,
                    layers=tuple(_layer(layer) for layer in event.layers),
                    overrides=() if current is None else current.overrides,
                )
            case OverrideAdded():
                if current is None:
                    raise ValueError("an override before the schedule was created")
                added = Override(
                    id=UUID(event.override_id),
                    person=event.person,
                    start=datetime.fromisoformat(event.start),
                    end=datetime.fromisoformat(event.end),
                )
                current = Schedule(
                    current.name, current.time_zone, current.layers, (*current.overrides, added)
                )
            case EscalationPolicyCreated() | ServiceCreated():
                raise ValueError(f"{event_name(event)} is not a schedule's event")
            case _:
                assert_never(event)
        versions.append((recorded_at, current))
    return versions
