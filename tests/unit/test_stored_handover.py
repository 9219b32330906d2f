"""`HandoverDue` as this version stores it (tests/fixtures/stored_events_handover.json): bob,
owner and so acting IC, went off call at the 08:00 shift change; the handover was recorded due
and bob handed command to carol with a note. It loads, encodes back byte for byte, and folds
the same in the aggregate, the incidents read model and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.persistence import StoredEvent

from shared.eventstore.store import RecordedEvent
from shared.readmodels.timeline import timeline_entry
from tests.stored_fixtures import encoded_back, folded

STORED_FIXTURE = "stored_events_handover.json"
FIRST_POSITION = 901


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    assert "irm:Incident.HandoverDue" in {s.topic for s in stored}
    for item in stored:
        assert encoded_back(item) == item.state


def test_the_handover_is_due_once_and_done_by_the_assignment(
    recorded: list[RecordedEvent],
) -> None:
    incident, row = folded(recorded)

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
