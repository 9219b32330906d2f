"""`IncidentLinked` as this version stores it (tests/fixtures/stored_events_links.json): it
loads, encodes back byte for byte, and folds to the same links in the aggregate, the incidents
read model and the timeline."""

from __future__ import annotations

from eventsourcing.persistence import StoredEvent

from shared.eventstore.store import RecordedEvent
from shared.readmodels.timeline import timeline_entry
from tests.stored_fixtures import encoded_back, folded

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


STORED_FIXTURE = "stored_events_links.json"
FIRST_POSITION = 401


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    assert [s.topic for s in stored] == [
        "irm:Incident.Declared",
        "irm:Incident.IncidentLinked",
        "irm:Incident.IncidentLinked",
    ]
    for item in stored:
        assert encoded_back(item) == item.state


def test_the_aggregate_and_the_read_model_list_both_links(recorded: list[RecordedEvent]) -> None:
    incident, row = folded(recorded)
    assert incident.links == row.links == LINKS


def test_the_timeline_reads_each_direction(recorded: list[RecordedEvent]) -> None:
    assert [timeline_entry(r).summary for r in recorded[1:]] == [
        "alice linked this incident: caused by INC-12",
        "alice linked INC-16: related to this incident",
    ]
