"""Correcting the review (issue 11): factors and recommendations are edited and withdrawn by
number, a follow-up is cancelled with a reason (neither done nor open), and a published review
is locked for its findings until it is amended, which reopens it for edits."""

from __future__ import annotations

import pytest

from shared.domain.errors import (
    FindingNotFoundError,
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
)
from shared.domain.events import event_data, event_name
from shared.domain.incident import Incident
from tests.unit.conftest import ALICE, CAROL, DAVE, ROOT, names, only_event, refuse
from tests.unit.review_story import ERIN, REVIEW_EDITS, add_follow_up, start_review


@pytest.fixture
def in_review(resolved: Incident) -> Incident:
    """Alice's resolved incident under review (carol facilitates), with two factors and two
    recommendations recorded; events collected."""
    incident = start_review(resolved)
    incident.add_contributing_factor(CAROL, text="no canary", category="change")
    incident.add_contributing_factor(CAROL, text="alert at 100%", category="detection")
    incident.add_recommendation(CAROL, text="canary config pushes")
    incident.add_recommendation(CAROL, text="alert at 80%")
    incident.collect_events()
    return incident


@pytest.fixture
def published(in_review: Incident) -> Incident:
    """The review above with a root cause and a follow-up, published; events collected."""
    in_review.record_root_cause(CAROL, text="the pool was exhausted")
    add_follow_up(in_review)
    in_review.publish_postmortem(CAROL, no_follow_up_reason=None)
    in_review.collect_events()
    return in_review


# --- contributing factors ---------------------------------------------------------------------


def test_editing_a_factor_keeps_the_previous_text_and_category(in_review: Incident) -> None:
    in_review.edit_contributing_factor(
        CAROL, factor_id="2", text=" alert fires at 100% pool use ", category="capacity"
    )

    event = only_event(in_review)
    assert event_name(event) == "ContributingFactorEdited"
    assert event_data(event) == {
        "factor_id": "2",
        "text": "alert fires at 100% pool use",
        "category": "capacity",
        "previous_text": "alert at 100%",
        "previous_category": "detection",
    }
    assert in_review.review.contributing_factors[1] == {
        "id": "2",
        "text": "alert fires at 100% pool use",
        "category": "capacity",
    }


def test_an_edit_may_change_only_the_category(in_review: Incident) -> None:
    in_review.edit_contributing_factor(ALICE, factor_id="1", category="process")

    assert in_review.review.contributing_factors[0] == {
        "id": "1",
        "text": "no canary",
        "category": "process",
    }


def test_an_edit_that_changes_nothing_is_refused(in_review: Incident) -> None:
    refuse(
        in_review,
        NoChangeError,
        lambda: in_review.edit_contributing_factor(CAROL, factor_id="1", text="no canary"),
    )
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.edit_contributing_factor(CAROL, factor_id="1"),
    )
    assert error.field == "text", "an edit names what changes"


def test_withdrawing_a_factor_takes_it_out_and_keeps_its_number_unused(
    in_review: Incident,
) -> None:
    in_review.withdraw_contributing_factor(CAROL, factor_id="1", reason=" not a factor after all ")
    in_review.add_contributing_factor(CAROL, text="no runbook", category="process")

    withdrawn, added = in_review.collect_events()
    assert event_data(withdrawn) == {
        "factor_id": "1",
        "text": "no canary",
        "category": "change",
        "reason": "not a factor after all",
    }
    assert event_name(added) == "ContributingFactorAdded"
    assert [f["id"] for f in in_review.review.contributing_factors] == ["2", "3"]


def test_a_withdrawn_or_unknown_factor_is_not_found(in_review: Incident) -> None:
    in_review.withdraw_contributing_factor(CAROL, factor_id="1", reason="wrong")
    in_review.collect_events()

    for factor_id in ("1", "9", ""):

        def edit(factor_id: str = factor_id) -> None:
            in_review.edit_contributing_factor(CAROL, factor_id=factor_id, text="x")

        error = refuse(in_review, FindingNotFoundError, edit)
        assert error.rule == "contributing-factor-not-found"


def test_a_withdrawal_needs_a_reason_and_an_edit_a_known_category(in_review: Incident) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.withdraw_contributing_factor(CAROL, factor_id="1", reason=" "),
    )
    assert error.field == "reason"
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.edit_contributing_factor(CAROL, factor_id="1", category="people"),
    )
    assert error.field == "category"


# --- recommendations --------------------------------------------------------------------------


def test_editing_and_withdrawing_recommendations_by_number(in_review: Incident) -> None:
    in_review.edit_recommendation(CAROL, recommendation_id="2", text="alert at 80% pool use")
    in_review.withdraw_recommendation(ALICE, recommendation_id="1", reason="covered by OPS-12")

    edited, withdrawn = in_review.collect_events()
    assert event_data(edited) == {
        "recommendation_id": "2",
        "text": "alert at 80% pool use",
        "previous_text": "alert at 80%",
    }
    assert event_data(withdrawn) == {
        "recommendation_id": "1",
        "text": "canary config pushes",
        "reason": "covered by OPS-12",
    }
    assert in_review.review.recommendations == ["alert at 80% pool use"]
    assert in_review.review.recommendation_ids == ["2"]


def test_an_unknown_recommendation_is_not_found(in_review: Incident) -> None:
    error = refuse(
        in_review,
        FindingNotFoundError,
        lambda: in_review.withdraw_recommendation(CAROL, recommendation_id="3", reason="x"),
    )
    assert error.rule == "recommendation-not-found"


def test_only_reviewers_correct_findings(in_review: Incident) -> None:
    refuse(
        in_review,
        NotAuthorizedError,
        lambda: in_review.edit_recommendation(DAVE, recommendation_id="1", text="x"),
    )
    refuse(
        in_review,
        NotAuthorizedError,
        lambda: in_review.withdraw_contributing_factor(ERIN, factor_id="1", reason="x"),
    )
    in_review.withdraw_contributing_factor(ROOT, factor_id="1", reason="admin")
    assert only_event(in_review).actor == "root"


# --- follow-ups -------------------------------------------------------------------------------


def test_a_cancelled_follow_up_is_neither_done_nor_open(in_review: Incident) -> None:
    follow_up_id = add_follow_up(in_review)

    in_review.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason=" superseded by OPS-9 ")

    event = only_event(in_review)
    assert event_name(event) == "FollowUpCancelled"
    assert event_data(event) == {"follow_up_id": follow_up_id, "reason": "superseded by OPS-9"}
    follow_up = in_review.review.follow_ups[follow_up_id]
    assert (follow_up.status, follow_up.done, follow_up.cancelled) == ("cancelled", False, True)
    assert (follow_up.cancelled_by, follow_up.cancel_reason) == ("carol", "superseded by OPS-9")


def test_a_cancelled_follow_up_cannot_be_completed_moved_or_cancelled_again(
    in_review: Incident,
) -> None:
    follow_up_id = add_follow_up(in_review)
    in_review.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="not needed")
    in_review.collect_events()

    for command in (
        lambda: in_review.complete_follow_up(ERIN, follow_up_id=follow_up_id, note=None),
        lambda: in_review.reassign_follow_up(CAROL, follow_up_id=follow_up_id, owner="dave"),
        lambda: in_review.change_follow_up_due_date(
            CAROL, follow_up_id=follow_up_id, due_date="2026-05-01", reason="later"
        ),
        lambda: in_review.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="again"),
    ):
        error = refuse(in_review, IllegalTransitionError, command)
        assert error.rule == "follow-up-cancelled"


def test_a_done_follow_up_cannot_be_cancelled(in_review: Incident) -> None:
    follow_up_id = add_follow_up(in_review)
    in_review.complete_follow_up(ERIN, follow_up_id=follow_up_id, note=None)
    in_review.collect_events()

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="x"),
    )
    assert error.rule == "follow-up-already-completed"


def test_the_owner_alone_may_not_cancel_a_follow_up(in_review: Incident) -> None:
    follow_up_id = add_follow_up(in_review)

    refuse(
        in_review,
        NotAuthorizedError,
        lambda: in_review.cancel_follow_up(ERIN, follow_up_id=follow_up_id, reason="busy"),
    )


def test_publishing_needs_a_follow_up_that_is_not_cancelled(in_review: Incident) -> None:
    in_review.record_root_cause(CAROL, text="the pool was exhausted")
    follow_up_id = add_follow_up(in_review)
    in_review.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="not needed")
    in_review.collect_events()

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.publish_postmortem(CAROL, no_follow_up_reason=None),
    )
    assert error.rule == "postmortem-needs-follow-ups"


# --- a published review, and amending it ------------------------------------------------------

CORRECTIONS = {
    **REVIEW_EDITS,
    "edit_contributing_factor": lambda i, a: i.edit_contributing_factor(a, factor_id="1", text="x"),
    "withdraw_contributing_factor": lambda i, a: i.withdraw_contributing_factor(
        a, factor_id="1", reason="x"
    ),
    "edit_recommendation": lambda i, a: i.edit_recommendation(a, recommendation_id="1", text="x"),
    "withdraw_recommendation": lambda i, a: i.withdraw_recommendation(
        a, recommendation_id="1", reason="x"
    ),
}


@pytest.mark.parametrize("command", CORRECTIONS.values(), ids=CORRECTIONS.keys())
def test_a_published_review_takes_no_findings_until_amended(
    published: Incident, command: object
) -> None:
    assert callable(command)
    error = refuse(published, IllegalTransitionError, lambda: command(published, CAROL))
    assert error.rule == "postmortem-published"

    published.amend_postmortem(CAROL, reason="the root cause was wrong")
    command(published, CAROL)
    assert len(published.collect_events()) == 2


def test_follow_ups_are_tracked_after_publishing(published: Incident) -> None:
    (follow_up_id,) = published.review.follow_ups

    published.change_follow_up_due_date(
        ERIN, follow_up_id=follow_up_id, due_date="2026-05-01", reason="waits for a release"
    )
    published.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="replaced by OPS-9")

    assert names(published.collect_events()) == ["FollowUpDueDateChanged", "FollowUpCancelled"]


def test_amending_reopens_the_review_and_publishing_again_closes_it(published: Incident) -> None:
    first_publication = published.review.published_at

    published.amend_postmortem(ALICE, reason=" the root cause was wrong ")
    amended = only_event(published)
    assert event_name(amended) == "PostmortemAmended"
    assert event_data(amended) == {"reason": "the root cause was wrong"}
    assert published.review.status == "started"
    assert published.review_pending, "a P2's amended review is pending until published again"
    assert published.review.amendments == [
        {"at": amended.timestamp.isoformat(), "by": "alice", "reason": "the root cause was wrong"}
    ]

    published.record_root_cause(CAROL, text="a config push halved the pool")
    published.publish_postmortem(CAROL, no_follow_up_reason=None)
    published.collect_events()
    assert published.review.status == "published"
    assert published.review.published_at is not None
    assert first_publication is not None
    assert published.review.published_at > first_publication


def test_only_a_published_review_is_amended(in_review: Incident) -> None:
    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.amend_postmortem(CAROL, reason="x"),
    )
    assert error.rule == "postmortem-not-published"


def test_an_amendment_needs_a_reason_and_a_reviewer(published: Incident) -> None:
    error = refuse(
        published, InvalidFieldError, lambda: published.amend_postmortem(CAROL, reason="  ")
    )
    assert error.field == "reason"
    refuse(published, NotAuthorizedError, lambda: published.amend_postmortem(DAVE, reason="x"))
