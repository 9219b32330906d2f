"""Follow-up actions of a review: added with an owner and a due date, tracked to completion,
handed on or moved with a reason; their owner may do all three to their own follow-up."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from shared.domain.errors import (
    FollowUpNotFoundError,
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
)
from shared.domain.events import event_name
from shared.domain.incident import Incident
from shared.domain.review import FollowUp
from shared.domain.values import Actor
from tests.unit.conftest import ALICE, CAROL, DAVE, ROOT, only_event, refuse
from tests.unit.review_story import ERIN, add_follow_up, start_review

FRANK = Actor("frank")

FollowUpCommand = Callable[[Incident, Actor, str], None]

# The commands on an existing follow-up, each a valid change of erin's follow-up.
ON_A_FOLLOW_UP: dict[str, FollowUpCommand] = {
    "complete": lambda i, a, f: i.complete_follow_up(a, follow_up_id=f, note=None),
    "reassign": lambda i, a, f: i.reassign_follow_up(a, follow_up_id=f, owner="frank"),
    "change due date": lambda i, a, f: i.change_follow_up_due_date(
        a, follow_up_id=f, due_date="2026-05-01", reason="waits for the Q2 freeze"
    ),
}
EACH_COMMAND = pytest.mark.parametrize(
    "command", ON_A_FOLLOW_UP.values(), ids=ON_A_FOLLOW_UP.keys()
)


@pytest.fixture
def in_review(resolved: Incident) -> Incident:
    """Alice's resolved incident; alice (acting IC) started its review, carol facilitates."""
    return start_review(resolved)


@pytest.fixture
def erins(in_review: Incident) -> str:
    """The id of a follow-up erin owns, due 2026-04-01."""
    return add_follow_up(in_review, owner="erin", due_date="2026-04-01")


# --- adding -----------------------------------------------------------------------------------


def test_a_follow_up_has_a_title_an_owner_a_due_date_and_a_ticket(in_review: Incident) -> None:
    follow_up_id = in_review.add_follow_up(
        CAROL, title=" Add a config canary ", owner="erin", due_date="2026-04-01", ticket="OPS-2001"
    )

    event = only_event(in_review)
    assert event_name(event) == "FollowUpAdded"
    assert str(uuid.UUID(follow_up_id)) == follow_up_id
    assert (
        event.follow_up_id,
        event.title,
        event.owner,
        event.due_date,
        event.ticket,
        event.actor,
    ) == (follow_up_id, "Add a config canary", "erin", "2026-04-01", "OPS-2001", "carol")
    assert in_review.review.follow_ups == {
        follow_up_id: FollowUp(
            id=follow_up_id,
            title="Add a config canary",
            owner="erin",
            due_date="2026-04-01",
            ticket="OPS-2001",
            added_at=event.timestamp,
            original_due_date="2026-04-01",
        )
    }
    assert not in_review.review.follow_ups[follow_up_id].done


def test_each_follow_up_gets_its_own_id_and_keeps_its_place(in_review: Incident) -> None:
    first = add_follow_up(in_review, owner="erin")
    second = add_follow_up(in_review, owner="frank")

    assert first != second
    assert list(in_review.review.follow_ups) == [first, second]


@pytest.mark.parametrize("ticket", [None, "", "  "])
def test_the_ticket_is_optional(in_review: Incident, ticket: str | None) -> None:
    in_review.add_follow_up(
        CAROL, title="Add a config canary", owner="erin", due_date="2026-04-01", ticket=ticket
    )

    assert only_event(in_review).ticket is None


@pytest.mark.parametrize(
    ("written", "stored"), [("2026-04-01", "2026-04-01"), (" 2026-04-01\n", "2026-04-01")]
)
def test_a_due_date_is_stored_as_an_iso_date(
    in_review: Incident, written: str, stored: str
) -> None:
    in_review.add_follow_up(CAROL, title="t", owner="erin", due_date=written, ticket=None)

    assert only_event(in_review).due_date == stored


BAD_DATES = pytest.mark.parametrize(
    "due_date", ["next friday", "2026-02-30", "2026-13-01", "01/04/2026", "", "2026-04-01T10:00"]
)


@BAD_DATES
def test_a_due_date_must_be_a_date(in_review: Incident, due_date: str) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.add_follow_up(
            CAROL, title="t", owner="erin", due_date=due_date, ticket=None
        ),
    )

    assert error.field == "due_date"


@pytest.mark.parametrize(("field", "title", "owner"), [("title", " ", "erin"), ("owner", "t", "")])
def test_a_follow_up_needs_a_title_and_an_owner(
    in_review: Incident, field: str, title: str, owner: str
) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.add_follow_up(
            CAROL, title=title, owner=owner, due_date="2026-04-01", ticket=None
        ),
    )

    assert error.field == field


# --- completing -------------------------------------------------------------------------------


def test_completing_records_who_finished_it_and_the_note(in_review: Incident, erins: str) -> None:
    in_review.complete_follow_up(ERIN, follow_up_id=erins, note=" canary is live ")

    event = only_event(in_review)
    assert event_name(event) == "FollowUpCompleted"
    assert (event.follow_up_id, event.note, event.actor) == (erins, "canary is live", "erin")
    follow_up = in_review.review.follow_ups[erins]
    assert follow_up.done
    assert (follow_up.completed_at, follow_up.completed_by, follow_up.completion_note) == (
        event.timestamp,
        "erin",
        "canary is live",
    )


def test_a_completion_note_is_optional(in_review: Incident, erins: str) -> None:
    in_review.complete_follow_up(CAROL, follow_up_id=erins, note=None)

    assert only_event(in_review).note is None
    assert in_review.review.follow_ups[erins].completed_by == "carol"


def test_a_completed_follow_up_cannot_complete_again(in_review: Incident, erins: str) -> None:
    in_review.complete_follow_up(ERIN, follow_up_id=erins, note=None)
    in_review.collect_events()

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.complete_follow_up(CAROL, follow_up_id=erins, note="again"),
    )
    assert error.rule == "follow-up-already-completed"
    assert in_review.review.follow_ups[erins].completed_by == "erin"


# --- who may act on a follow-up ---------------------------------------------------------------


@EACH_COMMAND
@pytest.mark.parametrize(
    "actor", [ERIN, CAROL, ALICE, ROOT], ids=["owner", "facilitator", "commander", "admin"]
)
def test_the_owner_facilitator_commander_or_an_admin_acts_on_a_follow_up(
    in_review: Incident, erins: str, command: FollowUpCommand, actor: Actor
) -> None:
    command(in_review, actor, erins)

    assert only_event(in_review).actor == actor.principal


@EACH_COMMAND
def test_nobody_else_acts_on_a_follow_up(
    in_review: Incident, erins: str, command: FollowUpCommand
) -> None:
    error = refuse(in_review, NotAuthorizedError, lambda: command(in_review, DAVE, erins))

    assert error.principal == "dave"
    assert str(error) == (
        "dave is not the follow-up's owner, the review's facilitator "
        "or the acting incident commander"
    )


@EACH_COMMAND
def test_an_owner_acts_only_on_their_own_follow_up(
    in_review: Incident, erins: str, command: FollowUpCommand
) -> None:
    franks = add_follow_up(in_review, owner="frank")

    refuse(in_review, NotAuthorizedError, lambda: command(in_review, ERIN, franks))


def test_a_reassigned_follow_up_belongs_to_its_new_owner(in_review: Incident, erins: str) -> None:
    in_review.reassign_follow_up(ERIN, follow_up_id=erins, owner="frank")
    in_review.collect_events()

    refuse(
        in_review,
        NotAuthorizedError,
        lambda: in_review.complete_follow_up(ERIN, follow_up_id=erins, note=None),
    )
    in_review.complete_follow_up(FRANK, follow_up_id=erins, note=None)
    assert only_event(in_review).actor == "frank"


@EACH_COMMAND
def test_an_unknown_follow_up_is_not_found(in_review: Incident, command: FollowUpCommand) -> None:
    add_follow_up(in_review)
    unknown = str(uuid.uuid4())

    error = refuse(in_review, FollowUpNotFoundError, lambda: command(in_review, CAROL, unknown))

    assert (error.incident_id, error.follow_up_id) == (in_review.id, unknown)


# --- reassigning and moving -------------------------------------------------------------------


def test_reassigning_records_the_new_and_the_previous_owner(
    in_review: Incident, erins: str
) -> None:
    in_review.reassign_follow_up(CAROL, follow_up_id=erins, owner=" frank ")

    event = only_event(in_review)
    assert event_name(event) == "FollowUpReassigned"
    assert (event.follow_up_id, event.owner, event.previous_owner, event.actor) == (
        erins,
        "frank",
        "erin",
        "carol",
    )
    assert in_review.review.follow_ups[erins].owner == "frank"


def test_reassigning_to_the_same_owner_changes_nothing(in_review: Incident, erins: str) -> None:
    refuse(
        in_review,
        NoChangeError,
        lambda: in_review.reassign_follow_up(CAROL, follow_up_id=erins, owner=" erin "),
    )


def test_reassigning_needs_an_owner(in_review: Incident, erins: str) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.reassign_follow_up(CAROL, follow_up_id=erins, owner=""),
    )

    assert error.field == "owner"


def test_moving_the_due_date_records_both_dates_and_the_reason(
    in_review: Incident, erins: str
) -> None:
    in_review.change_follow_up_due_date(
        ERIN, follow_up_id=erins, due_date="2026-05-01", reason=" waits for the Q2 freeze "
    )

    event = only_event(in_review)
    assert event_name(event) == "FollowUpDueDateChanged"
    assert (
        event.follow_up_id,
        event.due_date,
        event.previous_due_date,
        event.reason,
        event.actor,
    ) == (erins, "2026-05-01", "2026-04-01", "waits for the Q2 freeze", "erin")
    assert in_review.review.follow_ups[erins].due_date == "2026-05-01"


def test_moving_to_the_same_date_changes_nothing(in_review: Incident, erins: str) -> None:
    refuse(
        in_review,
        NoChangeError,
        lambda: in_review.change_follow_up_due_date(
            CAROL, follow_up_id=erins, due_date=" 2026-04-01 ", reason="no reason"
        ),
    )


@BAD_DATES
def test_a_new_due_date_must_be_a_date(in_review: Incident, erins: str, due_date: str) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.change_follow_up_due_date(
            CAROL, follow_up_id=erins, due_date=due_date, reason="later"
        ),
    )

    assert error.field == "due_date"


def test_moving_the_due_date_needs_a_reason(in_review: Incident, erins: str) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.change_follow_up_due_date(
            CAROL, follow_up_id=erins, due_date="2026-05-01", reason=" "
        ),
    )

    assert error.field == "reason"
