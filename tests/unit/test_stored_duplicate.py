"""A duplicate's `Resolved` as this version stores it (tests/fixtures/stored_events_duplicate.json):
it loads, encodes back byte for byte, and folds to no review required, in the aggregate and the
incidents read model alike."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.timeline import timeline_entry
from tests.stored_fixtures import recorded_events, stored_events


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_duplicate.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=301)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    assert [s.topic for s in stored] == ["irm:Incident.Declared", "irm:Incident.Resolved"]
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_resolution_names_the_incident_it_duplicates(recorded: list[RecordedEvent]) -> None:
    resolved: Any = recorded[1].event
    assert resolved.duplicate_of == UUID("5f0c7b6e-2a43-4c1e-9d7a-0b8e2f6a1c33")
    assert resolved.duplicate_of_reference == "INC-12"


def test_a_p1_duplicate_needs_no_review(recorded: list[RecordedEvent]) -> None:
    incident: Incident | None = None
    row: IncidentRow | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert incident is not None
    assert row is not None
    assert (incident.peak_severity, incident.resolution) == ("P1", "duplicate")
    assert (incident.postmortem_required, incident.review_pending) == (False, False)
    assert (row.postmortem_required, row.review_pending) == (False, False)


def test_the_timeline_says_what_it_duplicates(recorded: list[RecordedEvent]) -> None:
    entry = timeline_entry(recorded[1])
    assert entry is not None
    assert entry.summary == "alice resolved (duplicate of INC-12): Same outage as INC-12"
