"""Follow-ups honestly counted (issue 11): each follow-up keeps its first due date and how often
the date moved, on time is measured against the first date, and the notifier's FollowUpOverdue
is recorded once per due date for an open follow-up past it, naming the owner."""

from __future__ import annotations

from datetime import date

import pytest

from shared.domain.errors import IllegalTransitionError, NoChangeError
from shared.domain.events import FollowUpOverdue, event_data, event_name
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR
from tests.unit.conftest import CAROL, only_event, refuse
from tests.unit.review_story import ERIN, add_follow_up, start_review


@pytest.fixture
def follow_up(resolved: Incident) -> tuple[Incident, str]:
    """Alice's resolved incident under review, with erin's follow-up due 2026-04-01."""
    incident = start_review(resolved)
    return incident, add_follow_up(incident, due_date="2026-04-01")


def test_a_follow_up_keeps_its_first_due_date_and_counts_the_moves(
    follow_up: tuple[Incident, str],
) -> None:
    incident, follow_up_id = follow_up
    for moved_to in ("2026-04-15", "2026-05-01"):
        incident.change_follow_up_due_date(
            ERIN, follow_up_id=follow_up_id, due_date=moved_to, reason="waits for a release"
        )

    state = incident.review.follow_ups[follow_up_id]
    assert (state.original_due_date, state.due_date, state.due_date_changes) == (
        "2026-04-01",
        "2026-05-01",
        2,
    )


def test_an_overdue_follow_up_is_recorded_once_naming_its_owner(
    follow_up: tuple[Incident, str],
) -> None:
    incident, follow_up_id = follow_up

    incident.record_follow_up_overdue(
        SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 4, 2)
    )

    event = only_event(incident)
    assert isinstance(event, FollowUpOverdue)
    assert event_name(event) == "FollowUpOverdue"
    assert event.actor == "system"
    assert event_data(event) == {
        "follow_up_id": follow_up_id,
        "title": "Follow-up for erin",
        "owner": "erin",
        "due_date": "2026-04-01",
        "original_due_date": "2026-04-01",
    }
    refuse(
        incident,
        NoChangeError,
        lambda: incident.record_follow_up_overdue(
            SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 4, 9)
        ),
    )


def test_a_moved_due_date_that_passes_again_is_recorded_again(
    follow_up: tuple[Incident, str],
) -> None:
    incident, follow_up_id = follow_up
    incident.record_follow_up_overdue(
        SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 4, 2)
    )
    incident.change_follow_up_due_date(
        ERIN, follow_up_id=follow_up_id, due_date="2026-04-10", reason="blocked"
    )
    incident.collect_events()

    incident.record_follow_up_overdue(
        SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 4, 11)
    )

    event = only_event(incident)
    assert isinstance(event, FollowUpOverdue)
    assert (event.due_date, event.original_due_date) == ("2026-04-10", "2026-04-01")


def test_no_overdue_record_on_or_before_the_due_date(follow_up: tuple[Incident, str]) -> None:
    incident, follow_up_id = follow_up

    error = refuse(
        incident,
        IllegalTransitionError,
        lambda: incident.record_follow_up_overdue(
            SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 4, 1)
        ),
    )
    assert error.rule == "follow-up-not-overdue"


@pytest.mark.parametrize("ending", ["complete", "cancel"])
def test_no_overdue_record_for_a_done_or_cancelled_follow_up(
    follow_up: tuple[Incident, str], ending: str
) -> None:
    incident, follow_up_id = follow_up
    if ending == "complete":
        incident.complete_follow_up(ERIN, follow_up_id=follow_up_id, note=None)
    else:
        incident.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="not needed")
    incident.collect_events()

    refuse(
        incident,
        IllegalTransitionError,
        lambda: incident.record_follow_up_overdue(
            SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 5, 1)
        ),
    )
