"""Issue 11's communication events as this version stores them
(tests/fixtures/stored_events_cadence.json): an incident declared unclassified and made P1
nine seconds later, one reminder for three missed intervals naming whom to chase, and a final
notice and an internal update after closing. They load, encode back byte for byte, and fold the
same way in the aggregate, the incidents read model, the timeline and the webhook facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.timeline import timeline_entry
from shared.webhooks.facts import IncidentFacts, facts_after
from tests.stored_fixtures import encoded_back, folded

CLASSIFIED_AT = datetime(2026, 12, 1, 18, 0, 9, tzinfo=UTC)


STORED_FIXTURE = "stored_events_cadence.json"
FIRST_POSITION = 501


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    for item in stored:
        assert encoded_back(item) == item.state


def test_the_cadence_ran_from_the_classification_and_one_reminder_counted_three_intervals(
    recorded: list[RecordedEvent],
) -> None:
    incident: Incident | None = None
    row: IncidentRow | None = None
    facts: IncidentFacts | None = None
    cadence = parse_cadence(DEFAULT_UPDATE_CADENCE)
    for r in recorded[:4]:  # up to the reminder
        incident = r.event.mutate(incident)
        row = project(row, r, cadence)
        facts = facts_after(facts, r)
    assert incident is not None
    assert row is not None
    assert facts is not None

    assert incident.customer_contact_at == CLASSIFIED_AT
    assert (incident.overdue_reminders, incident.last_overdue_due_at) == (
        3,
        CLASSIFIED_AT + timedelta(minutes=90),
    )
    assert row.cadence_started_at == CLASSIFIED_AT
    assert (facts.customer_contact_at, facts.overdue_reminders) == (CLASSIFIED_AT, 3)


def test_the_timeline_reads_whom_to_chase_and_the_notices_after_closing(
    recorded: list[RecordedEvent],
) -> None:
    summaries = [timeline_entry(r).summary for r in recorded]

    assert summaries[3] == (
        "customer update overdue (P1 cadence): 3 intervals without a customer update; "
        "chase carol and alice"
    )
    assert summaries[6] == "carol posted a final customer notice: RCA published"
    assert summaries[7] == "dave posted an internal update: Dashboards archived"


def test_the_closed_incident_stays_closed_with_no_cadence(recorded: list[RecordedEvent]) -> None:
    incident, row = folded(recorded)

    assert incident.status == row.status == "closed"
    assert row.next_customer_update_due is None
    assert row.last_customer_update_at == recorded[6].event.timestamp
