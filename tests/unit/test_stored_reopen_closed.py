"""A closed incident reopened, as this version stores it
(tests/fixtures/stored_events_reopen_closed.json): it loads, encodes back byte for byte, and
folds to an open incident with neither resolution nor closing, in the aggregate and the
incidents read model alike."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from tests.stored_fixtures import stored_events


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_reopen_closed.json")


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    assert [s.topic.removeprefix("irm:Incident.") for s in stored] == [
        "Declared",
        "Resolved",
        "Closed",
        "Reopened",
    ]
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_it_folds_to_open_with_no_closing(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    incident: Incident | None = None
    row: IncidentRow | None = None
    for n, item in enumerate(stored, start=1):
        recorded = RecordedEvent(position=400 + n, event=mapper.to_domain_event(item))
        incident = recorded.event.mutate(incident)
        row = project(row, recorded, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert incident is not None
    assert row is not None
    reopened: Any = mapper.to_domain_event(stored[-1])
    assert reopened.was_closed is True
    assert (incident.status, incident.closed_at, incident.resolution) == ("open", None, None)
    assert (row.status, row.closed_at, row.reopen_count) == ("open", None, 1)
