"""When the notifier's next overdue-update reminder falls due, from the incident's state."""

from __future__ import annotations

from datetime import timedelta

from services.notifier.reminders import next_reminder_due
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR, Actor

ALICE = Actor("alice")
CADENCE = {
    "P1": timedelta(minutes=30),
    "P2": timedelta(minutes=60),
    "P3": timedelta(hours=4),
    "P4": timedelta(hours=24),
}


def declare(severity: str | None = "P2") -> Incident:
    return Incident.declare(
        actor=ALICE,
        number=1,
        title="Checkout 500s",
        criteria=["customer_sla_at_risk"],
        severity=severity,
    )


def test_reminders_fall_due_one_interval_apart_from_the_last_customer_contact() -> None:
    incident = declare()
    first = next_reminder_due(incident, CADENCE)
    assert first == incident.customer_contact_at + timedelta(minutes=60)
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=first)
    assert next_reminder_due(incident, CADENCE) == first + timedelta(minutes=60)


def test_a_raised_severity_never_stalls_reminders_at_an_already_recorded_time() -> None:
    incident = declare("P2")
    first = next_reminder_due(incident, CADENCE)
    assert first is not None
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=first)
    incident.change_severity(ALICE, severity="P1", reason="all regions down")

    second = next_reminder_due(incident, CADENCE)

    assert second == first + timedelta(minutes=30)
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=second)  # accepted, not refused
    assert incident.overdue_reminders == 2


def test_a_customer_update_restarts_the_cadence() -> None:
    incident = declare()
    first = next_reminder_due(incident, CADENCE)
    assert first is not None
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=first)
    incident.post_update(ALICE, audience="customer", body="We are on it.")
    assert next_reminder_due(incident, CADENCE) == incident.customer_contact_at + timedelta(
        minutes=60
    )


def test_no_reminder_without_a_severity_or_once_resolved() -> None:
    assert next_reminder_due(declare(None), CADENCE) is None
    incident = declare()
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    assert next_reminder_due(incident, CADENCE) is None


def test_a_reminder_is_stored_under_its_stable_topic() -> None:
    from shared.eventstore.mapper import build_mapper

    incident = declare()
    due = next_reminder_due(incident, CADENCE)
    assert due is not None
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=due)
    stored = build_mapper().to_stored_event(incident.collect_events()[-1])
    assert stored.topic == "irm:Incident.CustomerUpdateOverdue"
