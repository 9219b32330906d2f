"""When the notifier's next overdue-update reminder falls due, from the incident's state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.errors import InvalidFieldError
from shared.domain.events import CustomerUpdateOverdue, event_data
from shared.domain.incident import Incident
from shared.domain.rules import next_reminder_due, overdue_by
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


# --- issue 11: from the first classification, one reminder for several missed intervals ---


def test_the_cadence_starts_at_the_first_classification_not_the_declaration() -> None:
    incident = declare(None)
    declared_at = incident.customer_contact_at
    incident.change_severity(ALICE, severity="P1", reason="all regions down")
    classified_at = incident.customer_contact_at

    assert classified_at > declared_at
    assert next_reminder_due(incident, CADENCE) == classified_at + timedelta(minutes=30)
    # A P1 made so nine seconds after an unclassified declaration, half an hour later, is
    # one interval late, not two.
    assert overdue_by(incident, CADENCE, classified_at + timedelta(minutes=30, seconds=5)) == (
        classified_at + timedelta(minutes=30),
        1,
    )


def test_a_reclassification_does_not_restart_the_cadence() -> None:
    incident = declare("P2")
    declared_at = incident.customer_contact_at
    incident.change_severity(ALICE, severity="P1", reason="all regions down")

    assert incident.customer_contact_at == declared_at


def test_intervals_missed_while_nobody_looked_make_one_reminder_that_counts_them() -> None:
    incident = declare("P1")
    contact = incident.customer_contact_at
    now = contact + timedelta(minutes=30 * 4 + 10)  # four intervals missed

    overdue = overdue_by(incident, CADENCE, now)

    assert overdue == (contact + timedelta(minutes=120), 4)
    due, missed = overdue
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=due, missed_intervals=missed)
    (reminder,) = incident.collect_events()[1:]
    assert isinstance(reminder, CustomerUpdateOverdue)
    assert (reminder.missed_intervals, reminder.due_at) == (4, due)
    assert overdue_by(incident, CADENCE, now) is None, "nothing more until the next interval"
    assert next_reminder_due(incident, CADENCE) == contact + timedelta(minutes=150)
    assert overdue_by(incident, CADENCE, contact + timedelta(minutes=150)) == (
        contact + timedelta(minutes=150),
        5,
    )


def test_no_reminder_before_the_first_interval_passes() -> None:
    incident = declare("P1")
    almost = incident.customer_contact_at + timedelta(minutes=29, seconds=59)

    assert overdue_by(incident, CADENCE, almost) is None


def test_a_reminder_that_counts_no_more_missed_intervals_is_refused() -> None:
    incident = declare("P1")
    due = incident.customer_contact_at + timedelta(minutes=60)
    incident.record_update_overdue(SYSTEM_ACTOR, due_at=due, missed_intervals=2)

    with pytest.raises(InvalidFieldError):
        incident.record_update_overdue(
            SYSTEM_ACTOR, due_at=due + timedelta(minutes=30), missed_intervals=2
        )
    assert incident.overdue_reminders == 2


def test_a_reminder_names_the_communications_lead_and_the_acting_ic() -> None:
    incident = declare("P1")
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.assign_role(Actor("bob"), role="communications_lead", assignee="carol", note=None)
    incident.record_update_overdue(
        SYSTEM_ACTOR, due_at=incident.customer_contact_at + timedelta(minutes=30)
    )

    reminder = incident.collect_events()[-1]
    assert event_data(reminder)["update_owner"] == "carol"
    assert event_data(reminder)["incident_commander"] == "bob"


def test_without_a_communications_lead_the_acting_ic_owes_the_update() -> None:
    incident = declare("P1")  # alice owns it and acts as IC
    incident.record_update_overdue(
        SYSTEM_ACTOR, due_at=incident.customer_contact_at + timedelta(minutes=30)
    )

    reminder = incident.collect_events()[-1]
    assert (event_data(reminder)["update_owner"], event_data(reminder)["incident_commander"]) == (
        "alice",
        "alice",
    )
