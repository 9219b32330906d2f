"""Who may do what: the acting Incident Commander, the Communications Lead, anyone, an admin."""

from __future__ import annotations

import pytest

from shared.domain.errors import NotAuthorizedError
from shared.domain.events import UpdatePosted, event_actor
from shared.domain.incident import Incident
from shared.domain.values import Actor
from tests.unit.conftest import (
    ALICE,
    BOB,
    CAROL,
    COMMANDER_COMMANDS_WHEN_OPEN,
    COMMANDER_COMMANDS_WHEN_RESOLVED,
    DAVE,
    ROOT,
    Command,
    declare,
    only_event,
    refuse,
)

WHEN_OPEN = pytest.mark.parametrize(
    "command", COMMANDER_COMMANDS_WHEN_OPEN.values(), ids=COMMANDER_COMMANDS_WHEN_OPEN.keys()
)
WHEN_RESOLVED = pytest.mark.parametrize(
    "command",
    COMMANDER_COMMANDS_WHEN_RESOLVED.values(),
    ids=COMMANDER_COMMANDS_WHEN_RESOLVED.keys(),
)


@pytest.fixture
def staffed() -> Incident:
    """Alice's incident after she named bob IC, carol Communications Lead, dave Operations Lead."""
    incident = declare()
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.assign_role(BOB, role="communications_lead", assignee="carol", note=None)
    incident.assign_role(BOB, role="operations_lead", assignee="dave", note=None)
    incident.collect_events()
    return incident


@pytest.fixture
def staffed_resolved(staffed: Incident) -> Incident:
    """The staffed incident after bob resolved it."""
    staffed.resolve(BOB, resolution="mitigated", summary="traffic shifted to us-east")
    staffed.collect_events()
    return staffed


# --- the owner acts as IC until one is named --------------------------------------------


@WHEN_OPEN
def test_the_owner_acts_as_commander_until_one_is_named(
    incident: Incident, command: Command
) -> None:
    command(incident, ALICE)

    event = only_event(incident)
    assert event_actor(event) == "alice"
    assert event.break_glass is False


@WHEN_RESOLVED
def test_the_owner_closes_or_reopens_until_a_commander_is_named(
    resolved: Incident, command: Command
) -> None:
    command(resolved, ALICE)

    assert only_event(resolved).break_glass is False


@WHEN_OPEN
def test_before_a_commander_is_named_nobody_but_the_owner_has_authority(
    incident: Incident, command: Command
) -> None:
    error = refuse(incident, NotAuthorizedError, lambda: command(incident, DAVE))

    assert error.principal == "dave"
    assert error.needed == "the acting incident commander"
    assert error.rule == "not-authorized"


# --- once named, only the IC ---------------------------------------------------------------


def test_naming_a_commander_moves_authority_away_from_the_owner(staffed: Incident) -> None:
    assert staffed.owner == "alice"
    assert staffed.acting_commander == "bob"


@WHEN_OPEN
def test_the_named_commander_may_run_the_incident(staffed: Incident, command: Command) -> None:
    command(staffed, BOB)

    event = only_event(staffed)
    assert event_actor(event) == "bob"
    assert event.break_glass is False


@WHEN_RESOLVED
def test_the_named_commander_may_close_or_reopen(
    staffed_resolved: Incident, command: Command
) -> None:
    command(staffed_resolved, BOB)

    assert event_actor(only_event(staffed_resolved)) == "bob"


@WHEN_OPEN
@pytest.mark.parametrize("other", [ALICE, CAROL, DAVE], ids=["owner", "comms lead", "ops lead"])
def test_after_a_commander_is_named_nobody_else_has_authority(
    staffed: Incident, command: Command, other: Actor
) -> None:
    error = refuse(staffed, NotAuthorizedError, lambda: command(staffed, other))

    assert error.principal == other.principal


@WHEN_RESOLVED
@pytest.mark.parametrize("other", [ALICE, CAROL, DAVE], ids=["owner", "comms lead", "ops lead"])
def test_only_the_named_commander_may_close_or_reopen(
    staffed_resolved: Incident, command: Command, other: Actor
) -> None:
    refuse(staffed_resolved, NotAuthorizedError, lambda: command(staffed_resolved, other))


# --- updates and tickets -----------------------------------------------------------------------


@pytest.mark.parametrize("author", [BOB, CAROL], ids=["commander", "comms lead"])
def test_customer_updates_come_from_the_comms_lead_or_the_commander(
    staffed: Incident, author: Actor
) -> None:
    staffed.post_update(author, audience="customer", body="Checkout is degraded in the EU")

    event = only_event(staffed)
    assert event_actor(event) == author.principal
    assert event.break_glass is False


def test_the_owner_may_post_customer_updates_while_acting_as_commander(
    incident: Incident,
) -> None:
    incident.post_update(ALICE, audience="customer", body="We are investigating")

    assert event_actor(only_event(incident)) == "alice"


@pytest.mark.parametrize("other", [ALICE, DAVE], ids=["former acting IC", "ops lead"])
def test_nobody_else_may_post_customer_updates(staffed: Incident, other: Actor) -> None:
    error = refuse(
        staffed,
        NotAuthorizedError,
        lambda: staffed.post_update(other, audience="customer", body="All good!"),
    )
    assert error.needed == "the communications lead or the acting incident commander"


def test_without_a_comms_lead_only_the_commander_posts_to_customers(incident: Incident) -> None:
    refuse(
        incident,
        NotAuthorizedError,
        lambda: incident.post_update(DAVE, audience="customer", body="All good!"),
    )


def test_anyone_may_post_internal_updates_and_link_tickets(staffed: Incident) -> None:
    outsider = Actor("erin")

    staffed.post_update(outsider, audience="internal", body="Seeing 502s from the LB too")
    staffed.link_ticket(outsider, system="jira", key="OPS-1", url=None)

    update, ticket = staffed.collect_events()
    assert event_actor(update) == event_actor(ticket) == "erin"
    assert isinstance(update, UpdatePosted)
    assert update.break_glass is False


# --- break glass -------------------------------------------------------------------------------


@WHEN_OPEN
def test_an_admin_may_act_as_commander_and_the_event_says_so(
    staffed: Incident, command: Command
) -> None:
    command(staffed, ROOT)

    event = only_event(staffed)
    assert event_actor(event) == "root"
    assert event.break_glass is True


@WHEN_RESOLVED
def test_an_admin_may_close_or_reopen_breaking_glass(
    staffed_resolved: Incident, command: Command
) -> None:
    command(staffed_resolved, ROOT)

    assert only_event(staffed_resolved).break_glass is True


def test_an_admin_customer_update_breaks_glass(staffed: Incident) -> None:
    staffed.post_update(ROOT, audience="customer", body="Status page updated")

    assert only_event(staffed).break_glass is True


def test_an_admin_internal_update_needs_no_glass_broken(staffed: Incident) -> None:
    staffed.post_update(ROOT, audience="internal", body="Watching")

    assert only_event(staffed).break_glass is False


@WHEN_OPEN
def test_an_admin_who_is_the_commander_breaks_no_glass(staffed: Incident, command: Command) -> None:
    command(staffed, Actor("bob", is_admin=True))

    assert only_event(staffed).break_glass is False
