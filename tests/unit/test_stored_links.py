"""`IncidentLinked` as this version stores it (tests/fixtures/stored_events_links.json): it
loads, encodes back byte for byte, and folds to the same links in the aggregate, the incidents
read model and the timeline."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.timeline import timeline_entry
from tests.stored_fixtures import recorded_events, stored_events

LINKS = [
    {
        "other_id": "5f0c7b6e-2a43-4c1e-9d7a-0b8e2f6a1c33",
        "other_reference": "INC-12",
        "relation": "caused_by",
        "direction": "to",
    },
    {
        "other_id": "0d4b8a2e-6c1f-4f3a-8e5d-7b9c1a2f3e44",
        "other_reference": "INC-16",
        "relation": "related",
        "direction": "from",
    },
]


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_links.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=401)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    assert [s.topic for s in stored] == [
        "irm:Incident.Declared",
        "irm:Incident.IncidentLinked",
        "irm:Incident.IncidentLinked",
    ]
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_aggregate_and_the_read_model_list_both_links(recorded: list[RecordedEvent]) -> None:
    incident: Incident | None = None
    row: IncidentRow | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert incident is not None
    assert row is not None
    assert incident.links == row.links == LINKS


def test_the_timeline_reads_each_direction(recorded: list[RecordedEvent]) -> None:
    assert [timeline_entry(r).summary for r in recorded[1:]] == [
        "alice linked this incident: caused by INC-12",
        "alice linked INC-16: related to this incident",
    ]
