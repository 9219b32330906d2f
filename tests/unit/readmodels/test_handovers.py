"""Shift handovers in the read models (issue 12): the incidents row keeps each handover due and
when the next assignment of the role did it, which the metrics measure per shift change; the
timeline tells who goes off call."""

from __future__ import annotations

from datetime import UTC, datetime

from services.incident_api.incident_metrics import DurationStats, compute_metrics
from shared.domain.values import SYSTEM_ACTOR
from shared.readmodels.timeline import timeline_entry
from tests.unit.conftest import ALICE, declare
from tests.unit.readmodels.conftest import Log, at

SHIFT = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)


def test_the_next_assignment_of_the_role_completes_the_handover() -> None:
    log = Log()
    incident = declare()
    log.record(incident, at(0))
    incident.record_handover_due(
        SYSTEM_ACTOR,
        role="incident_commander",
        from_person="alice",
        to_person="carol",
        schedule="5b0c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4",
        shift_start=SHIFT,
    )
    (due,) = log.record(incident, at(1))
    assert log.row(incident).handovers == [
        {
            "role": "incident_commander",
            "from": "alice",
            "to": "carol",
            "due_at": at(1).isoformat(),
            "done_at": None,
        }
    ]
    assert timeline_entry(due).summary == (
        "handover due: alice went off call at 2027-01-05 08:00 UTC; "
        "incident_commander passes to carol"
    )

    incident.assign_role(ALICE, role="communications_lead", assignee="dave", note=None)
    log.record(incident, at(2))
    assert log.row(incident).handovers[0]["done_at"] is None  # another role
    incident.assign_role(ALICE, role="incident_commander", assignee="carol", note="see notes")
    log.record(incident, at(9))

    assert log.row(incident).handovers[0]["done_at"] == at(9).isoformat()
    # Metrics: one shift change, handed over 8 minutes after it was due.
    metrics = compute_metrics([log.row(incident)], now=at(60))
    assert metrics.time_to_hand_over == DurationStats(count=1, mean=480.0, median=480.0, p90=480.0)
