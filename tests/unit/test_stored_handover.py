"""`HandoverDue` as this version stores it (tests/fixtures/stored_events_handover.json): bob,
owner and so acting IC, went off call at the 08:00 shift change; the handover was recorded due
and bob handed command to carol with a note. It loads, encodes back byte for byte, and folds
the same in the aggregate, the incidents read model and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

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
    return stored_events("stored_events_handover.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=901)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    assert "irm:Incident.HandoverDue" in {s.topic for s in stored}
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_handover_is_due_once_and_done_by_the_assignment(
    recorded: list[RecordedEvent],
) -> None:
    incident: Incident | None = None
    row: IncidentRow | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
    assert incident is not None
    assert row is not None

    assert incident.handovers_due == ["incident_commander@2026-12-01T08:00:00+00:00"]
    assert incident.acting_commander == "carol"
    assert row.handovers == [
        {
            "role": "incident_commander",
            "from": "bob",
            "to": "carol",
            "due_at": datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC).isoformat(),
            "done_at": datetime(2026, 12, 1, 8, 5, tzinfo=UTC).isoformat(),
        }
    ]
    assert timeline_entry(recorded[2]).summary == (
        "handover due: bob went off call at 2026-12-01 08:00 UTC; "
        "incident_commander passes to carol"
    )
