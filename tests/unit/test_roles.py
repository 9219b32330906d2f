"""Assigning the three incident roles, with handovers on the record."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidFieldError, RoleAlreadyHeldError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from tests.unit.conftest import ALICE, BOB, only_event, refuse


@pytest.mark.parametrize("role", ["incident_commander", "communications_lead", "operations_lead"])
def test_each_of_the_three_roles_can_be_assigned(incident: Incident, role: str) -> None:
    incident.assign_role(ALICE, role=role, assignee="carol", note="you have it")

    event = only_event(incident)
    assert event_name(event) == "RoleAssigned"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "role": role,
        "assignee": "carol",
        "previous_holder": None,
        "note": "you have it",
        "break_glass": False,
    }
    assert incident.roles == {role: "carol"}


def test_a_handover_records_the_previous_holder_and_the_note(incident: Incident) -> None:
    incident.assign_role(ALICE, role="operations_lead", assignee="carol", note=None)
    incident.collect_events()

    incident.assign_role(
        ALICE, role="operations_lead", assignee="dave", note="shift change at 18:00"
    )

    event = only_event(incident)
    assert event.previous_holder == "carol"
    assert event.assignee == "dave"
    assert event.note == "shift change at 18:00"
    assert incident.roles == {"operations_lead": "dave"}


def test_a_blank_handover_note_is_recorded_as_none(incident: Incident) -> None:
    incident.assign_role(ALICE, role="operations_lead", assignee="carol", note="   ")

    assert only_event(incident).note is None


def test_the_commander_handover_moves_the_authority(incident: Incident) -> None:
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="going off shift")
    incident.assign_role(BOB, role="incident_commander", assignee="carol", note="my shift ended")

    handover = incident.collect_events()[-1]
    assert event_actor(handover) == "bob"
    assert event_data(handover)["previous_holder"] == "bob"
    assert incident.acting_commander == "carol"


def test_assigning_the_current_holder_again_is_refused(incident: Incident) -> None:
    incident.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)

    error = refuse(
        incident,
        RoleAlreadyHeldError,
        lambda: incident.assign_role(
            ALICE, role="communications_lead", assignee="carol", note="again"
        ),
    )
    assert (error.role, error.assignee) == ("communications_lead", "carol")
    assert error.rule == "role-already-held"


def test_one_person_may_hold_several_roles(incident: Incident) -> None:
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.assign_role(BOB, role="communications_lead", assignee="bob", note=None)
    incident.assign_role(BOB, role="operations_lead", assignee="bob", note=None)

    assert [event_name(e) for e in incident.collect_events()] == ["RoleAssigned"] * 3
    assert incident.roles == {
        "incident_commander": "bob",
        "communications_lead": "bob",
        "operations_lead": "bob",
    }


@pytest.mark.parametrize("role", ["scribe", "Incident_Commander", ""])
def test_an_unknown_role_is_refused(incident: Incident, role: str) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.assign_role(ALICE, role=role, assignee="carol", note=None),
    )
    assert error.field == "role"


@pytest.mark.parametrize("assignee", ["", "   ", "x" * 201])
def test_a_blank_or_overlong_assignee_is_refused(incident: Incident, assignee: str) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.assign_role(ALICE, role="operations_lead", assignee=assignee, note=None),
    )
    assert error.field == "assignee"
