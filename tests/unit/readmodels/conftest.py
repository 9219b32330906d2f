"""A hand-built log for the read-model unit tests: real events, stamped at chosen times."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project

T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
CADENCE = parse_cadence(DEFAULT_UPDATE_CADENCE)  # P1 30m, P2 60m, P3 4h, P4 24h
FIRST_POSITION = 101  # positions that cannot be mistaken for versions


def fold(
    events: Iterable[RecordedEvent], cadence: dict[str, timedelta] = CADENCE
) -> dict[UUID, IncidentRow]:
    """Every incident's row after the given events, as the projector would make them."""
    rows: dict[UUID, IncidentRow] = {}
    for recorded in events:
        rows[recorded.originator_id] = project(rows.get(recorded.originator_id), recorded, cadence)
    return rows


def at(minutes: float = 0, *, seconds: float = 0) -> datetime:
    """A moment `minutes` (and `seconds`) after T0."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


class Log:
    """A global log written by hand: each command's events are stored at the time given."""

    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []

    def record(self, incident: Incident, when: datetime) -> list[RecordedEvent]:
        """Store the incident's pending events as if they happened at `when`."""
        stored = [
            RecordedEvent(
                position=FIRST_POSITION + len(self.events) + n,
                event=dataclasses.replace(event, timestamp=when),
            )
            for n, event in enumerate(incident.collect_events())
        ]
        self.events.extend(stored)
        return stored

    def last(self, incident: Incident, when: datetime) -> RecordedEvent:
        """Store the single pending event of the incident at `when` and return it."""
        (stored,) = self.record(incident, when)
        return stored

    def rows(self, cadence: dict[str, timedelta] = CADENCE) -> dict[UUID, IncidentRow]:
        """Every incident's row, folded from the whole log."""
        return fold(self.events, cadence)

    def row(self, incident: Incident, cadence: dict[str, timedelta] = CADENCE) -> IncidentRow:
        """The incident's row after everything logged so far."""
        return self.rows(cadence)[incident.id]
