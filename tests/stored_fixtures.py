"""Events as an earlier version of irm stored them (tests/fixtures/*.json), loaded for tests
that show they still decode, encode back byte for byte and fold as they did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A fixture file's JSON."""
    return json.loads((FIXTURES / name).read_text())


def stored_events(name: str) -> list[StoredEvent]:
    """The stored events (and snapshots) of a fixture file, as the store reads them."""
    fixture = load_fixture(name)
    originator_id = UUID(fixture["originator_id"])
    return [
        StoredEvent(
            originator_id=originator_id,
            originator_version=item["originator_version"],
            topic=item["topic"],
            state=item["state"].encode(),
        )
        for item in fixture["events"]
    ]


def recorded_events(stored: list[StoredEvent], *, first_position: int) -> list[RecordedEvent]:
    """The events among `stored` (not the snapshots), decoded, at consecutive log positions
    from `first_position`."""
    mapper = build_mapper()
    events = [s for s in stored if not s.topic.endswith(".Snapshot")]
    return [
        RecordedEvent(position=first_position + n, event=mapper.to_domain_event(s))
        for n, s in enumerate(events)
    ]


def encoded_back(item: StoredEvent) -> bytes:
    """The state of a stored event after decoding it and encoding it again."""
    mapper = build_mapper()
    return mapper.to_stored_event(mapper.to_domain_event(item)).state


def folded(recorded: list[RecordedEvent]) -> tuple[Incident, IncidentRow]:
    """The aggregate and the incidents read model's row after every event of `recorded`."""
    incident: Incident | None = None
    row: IncidentRow | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert incident is not None
    assert row is not None
    return incident, row
