"""Correcting what was said (`edit_details`), standing a lead down (`unassign_role`), and a
lead handing on their own role: who may, what is recorded, and what is refused."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidFieldError, NoChangeError, NotAuthorizedError
from shared.domain.events import DetailsEdited, RoleAssigned, RoleUnassigned
from shared.domain.incident import Incident
from shared.domain.values import Actor
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, ROOT, declare, only_event, refuse

ERIN = Actor(principal="erin")


@pytest.fixture
def staffed() -> Incident:
    """Alice's incident with bob as IC, carol as Communications Lead, dave as Operations Lead."""
    incident = declare(description="Error rate above 20%")
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.assign_role(BOB, role="communications_lead", assignee="carol", note=None)
    incident.assign_role(BOB, role="operations_lead", assignee="dave", note=None)
    incident.collect_events()
    return incident


# --- edit_details ----------------------------------------------------------------------------


def test_an_edit_records_only_what_changed_with_the_values_before(staffed: Incident) -> None:
    staffed.edit_details(
        BOB,
        changes={"title": "Card payments fail", "services": ["checkout"], "description": None},
    )

    event = only_event(staffed)
    assert isinstance(event, DetailsEdited)
    assert event.before == {
        "title": "Checkout returns 500s",
        "description": "Error rate above 20%",
    }
    assert event.after == {"title": "Card payments fail", "description": None}
    assert (event.actor, event.break_glass) == ("bob", False)
    assert (staffed.title, staffed.description, staffed.services) == (
        "Card payments fail",
        None,
        ["checkout"],
    )


def test_the_communications_lead_may_edit_and_an_admin_breaks_glass(staffed: Incident) -> None:
    staffed.edit_details(CAROL, changes={"services": ["checkout", "payments"]})
    assert only_event(staffed).actor == "carol"

    staffed.edit_details(ROOT, changes={"title": "EU card payments fail"})
    assert only_event(staffed).break_glass is True


@pytest.mark.parametrize("other", [ALICE, DAVE, ERIN], ids=["owner", "ops lead", "bystander"])
def test_nobody_else_may_edit(staffed: Incident, other: Actor) -> None:
    error = refuse(
        staffed, NotAuthorizedError, lambda: staffed.edit_details(other, changes={"title": "x"})
    )
    assert error.needed == "the acting incident commander or the communications lead"


def test_an_edit_that_changes_nothing_is_refused(staffed: Incident) -> None:
    refuse(
        staffed,
        NoChangeError,
        lambda: staffed.edit_details(BOB, changes={"title": "Checkout returns 500s"}),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"severity": "P1"}, "severity"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"services": [""]}, "services"),
    ],
)
def test_fields_are_checked_as_at_declaration(
    staffed: Incident, changes: dict[str, object], field: str
) -> None:
    error = refuse(staffed, InvalidFieldError, lambda: staffed.edit_details(BOB, changes=changes))
    assert error.field == field


# --- unassign_role ---------------------------------------------------------------------------


def test_the_commander_stands_a_lead_down(staffed: Incident) -> None:
    staffed.unassign_role(BOB, role="operations_lead", note="db team has it now")

    event = only_event(staffed)
    assert isinstance(event, RoleUnassigned)
    assert (event.role, event.previous_holder, event.note) == (
        "operations_lead",
        "dave",
        "db team has it now",
    )
    assert staffed.roles == {"incident_commander": "bob", "communications_lead": "carol"}


def test_command_can_only_be_handed_over_never_left_empty(staffed: Incident) -> None:
    error = refuse(
        staffed,
        InvalidFieldError,
        lambda: staffed.unassign_role(BOB, role="incident_commander", note=None),
    )
    assert error.field == "role"


def test_a_role_nobody_holds_cannot_be_emptied() -> None:
    incident = declare()
    incident.collect_events()
    refuse(
        incident,
        NoChangeError,
        lambda: incident.unassign_role(ALICE, role="communications_lead", note=None),
    )


@pytest.mark.parametrize("other", [CAROL, DAVE], ids=["comms lead", "ops lead"])
def test_only_the_commander_stands_leads_down(staffed: Incident, other: Actor) -> None:
    refuse(
        staffed,
        NotAuthorizedError,
        lambda: staffed.unassign_role(other, role="operations_lead", note=None),
    )


# --- a lead hands on their own role -----------------------------------------------------------


@pytest.mark.parametrize(
    ("holder", "role"), [(CAROL, "communications_lead"), (DAVE, "operations_lead")]
)
def test_a_lead_hands_their_own_role_on_with_a_note(
    staffed: Incident, holder: Actor, role: str
) -> None:
    staffed.assign_role(holder, role=role, assignee="erin", note="end of my shift")

    event = only_event(staffed)
    assert isinstance(event, RoleAssigned)
    assert (event.previous_holder, event.assignee, event.note, event.break_glass) == (
        holder.principal,
        "erin",
        "end of my shift",
        False,
    )


def test_a_lead_may_not_hand_on_another_role(staffed: Incident) -> None:
    error = refuse(
        staffed,
        NotAuthorizedError,
        lambda: staffed.assign_role(CAROL, role="operations_lead", assignee="erin", note=None),
    )
    assert error.needed == "the acting incident commander or the operations_lead (dave)"


def test_a_lead_may_not_take_command(staffed: Incident) -> None:
    error = refuse(
        staffed,
        NotAuthorizedError,
        lambda: staffed.assign_role(CAROL, role="incident_commander", assignee="carol", note=None),
    )
    assert error.needed == "the acting incident commander"


def test_edits_and_unassignments_replay_to_the_same_state() -> None:
    incident = declare()
    incident.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)
    incident.edit_details(CAROL, changes={"title": "Card payments fail", "services": []})
    incident.unassign_role(ALICE, role="communications_lead", note=None)
    replayed: Incident | None = None
    for event in incident.collect_events():
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(incident)
    assert (replayed.title, replayed.services, replayed.roles) == ("Card payments fail", [], {})
