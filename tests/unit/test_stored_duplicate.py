"""A duplicate's `Resolved` as this version stores it (tests/fixtures/stored_events_duplicate.json):
it loads, encodes back byte for byte, and folds to no review required, in the aggregate and the
incidents read model alike."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from shared.eventstore.store import RecordedEvent
from shared.readmodels.timeline import timeline_entry
from tests.stored_fixtures import encoded_back, folded

STORED_FIXTURE = "stored_events_duplicate.json"
FIRST_POSITION = 301


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    assert [s.topic for s in stored] == ["irm:Incident.Declared", "irm:Incident.Resolved"]
    for item in stored:
        assert encoded_back(item) == item.state


def test_the_resolution_names_the_incident_it_duplicates(recorded: list[RecordedEvent]) -> None:
    resolved: Any = recorded[1].event
    assert resolved.duplicate_of == UUID("5f0c7b6e-2a43-4c1e-9d7a-0b8e2f6a1c33")
    assert resolved.duplicate_of_reference == "INC-12"


def test_a_p1_duplicate_needs_no_review(recorded: list[RecordedEvent]) -> None:
    incident, row = folded(recorded)
    assert (incident.peak_severity, incident.resolution) == ("P1", "duplicate")
    assert (incident.postmortem_required, incident.review_pending) == (False, False)
    assert (row.postmortem_required, row.review_pending) == (False, False)


def test_the_timeline_says_what_it_duplicates(recorded: list[RecordedEvent]) -> None:
    entry = timeline_entry(recorded[1])
    assert entry is not None
    assert entry.summary == "alice resolved (duplicate of INC-12): Same outage as INC-12"
