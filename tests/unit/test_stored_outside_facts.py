"""The events of facts that happened outside the tool, as this version stores them
(tests/fixtures/stored_events_outside_facts.json): they load, encode back byte for byte, and
fold to the impact window and a timeline entry placed at the moment it tells of."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import StoredEvent

from services.incident_api.incident_metrics import compute_metrics
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.timeline import in_time_order, timeline_entry
from tests.stored_fixtures import recorded_events, stored_events


def moment(hour: int, minute: int, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, second, micro, tzinfo=UTC)


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_outside_facts.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=201)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    assert [s.topic for s in stored] == [
        "irm:Incident.Declared",
        "irm:Incident.ImpactWindowSet",
        "irm:Incident.TimelineEntryAdded",
    ]
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_incident_keeps_the_corrected_window(recorded: list[RecordedEvent]) -> None:
    incident: Incident | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
    assert incident is not None
    assert (incident.started_at, incident.detected_at) == (moment(2, 35), moment(2, 52))


def test_the_read_models_place_the_entry_and_measure_the_window(
    recorded: list[RecordedEvent],
) -> None:
    row: IncidentRow | None = None
    for r in recorded:
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert row is not None
    assert (row.started_at, row.detected_at) == (moment(2, 35), moment(2, 52))
    metrics = compute_metrics([row], now=moment(4, 0))
    assert metrics.time_to_detect.mean == 17 * 60.0  # 02:35 to 02:52
    assert metrics.time_to_declare.mean == 8 * 60 + 1.25  # 02:52 to 03:00:01.25

    entries = in_time_order(timeline_entry(r) for r in recorded)
    assert [(e.type, e.occurred_at) for e in entries] == [
        ("TimelineEntryAdded", moment(2, 58)),
        ("Declared", moment(3, 0, 1, 250_000)),
        ("ImpactWindowSet", moment(3, 40, 12, 118_342)),
    ]
    assert entries[0].added_at == moment(3, 41, 27, 503_214)
    assert entries[0].summary == (
        "02:58 customer called support (added later by dave, 2026-12-01 03:41:27 UTC)"
    )
    assert entries[2].summary == (
        "alice set the impact window: started 2026-12-01 02:35:00 UTC, "
        "detected 2026-12-01 02:52:00 UTC"
    )
