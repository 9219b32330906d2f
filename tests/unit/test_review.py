"""The post-incident review (seed section 9): when it starts, who writes it, what publishing
needs, and which incidents must have one."""

from __future__ import annotations

import pytest

from shared.domain.errors import IllegalTransitionError, InvalidFieldError, NotAuthorizedError
from shared.domain.events import RootCauseRecorded, event_actor, event_name
from shared.domain.incident import Incident
from shared.domain.review import FactorCategory
from shared.domain.values import Actor
from tests.unit.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ROOT,
    declare,
    names,
    only_event,
    refuse,
)
from tests.unit.review_story import (
    ERIN,
    REVIEW_EDITS,
    ReviewCommand,
    add_follow_up,
    fully_reviewed,
    start_review,
)

EDITS = pytest.mark.parametrize("edit", REVIEW_EDITS.values(), ids=REVIEW_EDITS.keys())


@pytest.fixture
def in_review(resolved: Incident) -> Incident:
    """Alice's resolved incident; alice (acting IC) started its review, carol facilitates."""
    return start_review(resolved)


@pytest.fixture
def commanded_by_bob() -> Incident:
    """An incident alice handed to bob as IC, which bob resolved; events collected."""
    incident = declare()
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.resolve(BOB, resolution="restored", summary="rolled back")
    incident.collect_events()
    return incident


def publishable(incident: Incident) -> Incident:
    """The review with a root cause and a follow-up: everything publishing needs."""
    incident.record_root_cause(CAROL, text="the pool was exhausted")
    add_follow_up(incident)
    return incident


# --- starting the review ----------------------------------------------------------------------


def test_the_acting_commander_starts_the_review_of_a_resolved_incident(
    resolved: Incident,
) -> None:
    resolved.start_postmortem(ALICE, facilitator="  carol ")

    event = only_event(resolved)
    assert event_name(event) == "PostmortemStarted"
    assert (event.facilitator, event.actor, event.break_glass) == ("carol", "alice", False)
    review = resolved.review
    assert (review.status, review.facilitator, review.started_at) == (
        "started",
        "carol",
        event.timestamp,
    )
    assert resolved.status == "resolved", "a review does not change the incident's status"


def test_a_closed_incident_can_still_be_reviewed(closed: Incident) -> None:
    closed.start_postmortem(ALICE, facilitator="carol")

    assert event_name(only_event(closed)) == "PostmortemStarted"
    assert (closed.status, closed.review.status) == ("closed", "started")


def test_an_open_incident_cannot_be_reviewed_while_the_fire_burns(incident: Incident) -> None:
    error = refuse(
        incident,
        IllegalTransitionError,
        lambda: incident.start_postmortem(ALICE, facilitator="carol"),
    )

    assert error.rule == "incident-not-resolved"
    assert incident.review.status == "none"


def test_a_reopened_incident_is_open_again_and_cannot_be_reviewed(resolved: Incident) -> None:
    resolved.reopen(ALICE, reason="errors are back")

    error = refuse(
        resolved,
        IllegalTransitionError,
        lambda: resolved.start_postmortem(ALICE, facilitator="carol"),
    )
    assert error.rule == "incident-not-resolved"


@EDITS
def test_a_review_waits_while_its_incident_is_reopened(
    in_review: Incident, edit: ReviewCommand
) -> None:
    in_review.reopen(ALICE, reason="errors are back")

    error = refuse(in_review, IllegalTransitionError, lambda: edit(in_review, CAROL))
    assert error.rule == "incident-not-resolved"


def test_follow_ups_wait_while_the_incident_is_reopened_and_go_on_once_resolved(
    in_review: Incident,
) -> None:
    follow_up_id = add_follow_up(in_review)
    in_review.reopen(ALICE, reason="errors are back")

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.complete_follow_up(ERIN, follow_up_id=follow_up_id, note=None),
    )
    assert error.rule == "incident-not-resolved"

    in_review.resolve(ALICE, resolution="restored", summary="fixed for good")
    in_review.complete_follow_up(ERIN, follow_up_id=follow_up_id, note="done")
    assert in_review.review.follow_ups[follow_up_id].done


def test_a_review_starts_only_once(in_review: Incident) -> None:
    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.start_postmortem(ALICE, facilitator="dave"),
    )

    assert error.rule == "postmortem-already-started"
    assert in_review.review.facilitator == "carol"


def test_a_published_review_cannot_start_again(in_review: Incident) -> None:
    publishable(in_review).publish_postmortem(CAROL, no_follow_up_reason=None)

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.start_postmortem(ALICE, facilitator="dave"),
    )
    assert error.rule == "postmortem-already-started"


@pytest.mark.parametrize("actor", [ALICE, DAVE], ids=["former commander", "responder"])
def test_only_the_acting_commander_starts_the_review(
    commanded_by_bob: Incident, actor: Actor
) -> None:
    error = refuse(
        commanded_by_bob,
        NotAuthorizedError,
        lambda: commanded_by_bob.start_postmortem(actor, facilitator="carol"),
    )

    assert error.principal == actor.principal
    commanded_by_bob.start_postmortem(BOB, facilitator="carol")
    assert only_event(commanded_by_bob).actor == "bob"


def test_an_admin_may_start_the_review_in_the_commanders_place(resolved: Incident) -> None:
    resolved.start_postmortem(ROOT, facilitator="carol")

    event = only_event(resolved)
    assert (event.actor, event.break_glass) == ("root", True)


def test_the_review_needs_a_named_facilitator(resolved: Incident) -> None:
    error = refuse(
        resolved, InvalidFieldError, lambda: resolved.start_postmortem(ALICE, facilitator=" ")
    )

    assert error.field == "facilitator"


# --- who writes the review --------------------------------------------------------------------


@EDITS
def test_nothing_is_recorded_before_the_review_starts(
    resolved: Incident, edit: ReviewCommand
) -> None:
    error = refuse(resolved, IllegalTransitionError, lambda: edit(resolved, ALICE))

    assert error.rule == "postmortem-not-started"


def test_nothing_is_published_before_the_review_starts(resolved: Incident) -> None:
    error = refuse(
        resolved,
        IllegalTransitionError,
        lambda: resolved.publish_postmortem(ALICE, no_follow_up_reason="nothing to do"),
    )

    assert error.rule == "postmortem-not-started"


@EDITS
@pytest.mark.parametrize("editor", [CAROL, ALICE], ids=["facilitator", "acting commander"])
def test_the_facilitator_and_the_acting_commander_write_the_review(
    in_review: Incident, edit: ReviewCommand, editor: Actor
) -> None:
    edit(in_review, editor)

    assert event_actor(only_event(in_review)) == editor.principal


@EDITS
@pytest.mark.parametrize("outsider", [DAVE, ERIN], ids=["responder", "follow-up owner"])
def test_nobody_else_writes_the_review(
    in_review: Incident, edit: ReviewCommand, outsider: Actor
) -> None:
    add_follow_up(in_review, owner="erin")  # owning a follow-up gives no say over the rest

    error = refuse(in_review, NotAuthorizedError, lambda: edit(in_review, outsider))

    assert error.principal == outsider.principal
    assert error.needed == "the review's facilitator or the acting incident commander"


@EDITS
def test_an_admin_may_write_the_review(in_review: Incident, edit: ReviewCommand) -> None:
    edit(in_review, ROOT)

    assert event_actor(only_event(in_review)) == "root"


def test_a_commander_named_after_the_start_takes_over_the_review(in_review: Incident) -> None:
    in_review.assign_role(ALICE, role="incident_commander", assignee="bob", note="for the review")
    in_review.collect_events()

    in_review.add_recommendation(BOB, text="page the database team sooner")
    assert only_event(in_review).actor == "bob"
    refuse(
        in_review,
        NotAuthorizedError,
        lambda: in_review.add_recommendation(ALICE, text="alice is no longer the IC"),
    )


# --- what the review records ------------------------------------------------------------------


def test_a_root_cause_recorded_again_supersedes_the_first_and_both_stay(
    in_review: Incident,
) -> None:
    in_review.record_root_cause(CAROL, text="DNS")
    in_review.record_root_cause(ALICE, text="  The connection pool was exhausted\n")

    events = in_review.collect_events()
    assert all(isinstance(e, RootCauseRecorded) for e in events)
    assert [
        (event_name(e), e.text, e.actor) for e in events if isinstance(e, RootCauseRecorded)
    ] == [
        ("RootCauseRecorded", "DNS", "carol"),
        ("RootCauseRecorded", "The connection pool was exhausted", "alice"),
    ]
    assert in_review.review.root_cause == "The connection pool was exhausted"


def test_a_root_cause_needs_text(in_review: Incident) -> None:
    error = refuse(
        in_review, InvalidFieldError, lambda: in_review.record_root_cause(CAROL, text=" \n ")
    )

    assert error.field == "text"


def test_the_documented_factor_categories() -> None:
    assert [c.value for c in FactorCategory] == [
        "detection",
        "process",
        "change",
        "capacity",
        "dependency",
        "other",
    ]


@pytest.mark.parametrize("category", [c.value for c in FactorCategory])
def test_a_contributing_factor_has_a_documented_category(
    in_review: Incident, category: str
) -> None:
    in_review.add_contributing_factor(CAROL, text=" it happened ", category=category)

    event = only_event(in_review)
    assert event_name(event) == "ContributingFactorAdded"
    assert (event.text, event.category, event.actor) == ("it happened", category, "carol")
    assert type(event.category) is str, "events hold plain strings, never enums"
    assert in_review.review.contributing_factors == [
        {"id": "1", "text": "it happened", "category": category}
    ]


@pytest.mark.parametrize("category", ["people", "Detection", "", "change "])
def test_any_other_factor_category_is_refused(in_review: Incident, category: str) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.add_contributing_factor(CAROL, text="it happened", category=category),
    )

    assert error.field == "category"
    assert "detection, process, change, capacity, dependency, other" in error.message


def test_a_contributing_factor_needs_text(in_review: Incident) -> None:
    error = refuse(
        in_review,
        InvalidFieldError,
        lambda: in_review.add_contributing_factor(CAROL, text="", category="process"),
    )

    assert error.field == "text"


def test_factors_and_recommendations_accumulate_in_order(in_review: Incident) -> None:
    in_review.add_contributing_factor(CAROL, text="no canary", category="change")
    in_review.add_recommendation(CAROL, text="canary config pushes")
    in_review.add_contributing_factor(ALICE, text="alert at 100%", category="detection")
    in_review.add_recommendation(ALICE, text="alert at 80%")

    assert names(in_review.collect_events()) == [
        "ContributingFactorAdded",
        "RecommendationAdded",
        "ContributingFactorAdded",
        "RecommendationAdded",
    ]
    assert in_review.review.contributing_factors == [
        {"id": "1", "text": "no canary", "category": "change"},
        {"id": "2", "text": "alert at 100%", "category": "detection"},
    ]
    assert in_review.review.recommendations == ["canary config pushes", "alert at 80%"]
    assert in_review.review.recommendation_ids == ["1", "2"]


def test_a_recommendation_needs_text(in_review: Incident) -> None:
    error = refuse(
        in_review, InvalidFieldError, lambda: in_review.add_recommendation(CAROL, text="  ")
    )

    assert error.field == "text"


# --- publishing -------------------------------------------------------------------------------


def test_publishing_needs_a_root_cause(in_review: Incident) -> None:
    add_follow_up(in_review)

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.publish_postmortem(CAROL, no_follow_up_reason=None),
    )
    assert error.rule == "postmortem-needs-root-cause"


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_publishing_needs_a_follow_up_or_a_reason_why_none_is_needed(
    in_review: Incident, reason: str | None
) -> None:
    in_review.record_root_cause(CAROL, text="a one-off hardware fault")
    in_review.collect_events()

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.publish_postmortem(CAROL, no_follow_up_reason=reason),
    )
    assert error.rule == "postmortem-needs-follow-ups"


def test_with_a_reason_a_review_publishes_without_follow_ups(in_review: Incident) -> None:
    in_review.record_root_cause(CAROL, text="a one-off hardware fault")
    in_review.collect_events()

    in_review.publish_postmortem(CAROL, no_follow_up_reason=" the vendor replaced the disk ")

    event = only_event(in_review)
    assert event_name(event) == "PostmortemPublished"
    assert (event.no_follow_up_reason, event.actor) == ("the vendor replaced the disk", "carol")
    review = in_review.review
    assert (review.status, review.no_follow_up_reason, review.published_at) == (
        "published",
        "the vendor replaced the disk",
        event.timestamp,
    )


def test_with_a_follow_up_a_review_publishes_without_a_reason(in_review: Incident) -> None:
    publishable(in_review)

    in_review.publish_postmortem(ALICE, no_follow_up_reason=None)

    event = only_event(in_review)
    assert (event.no_follow_up_reason, event.actor) == (None, "alice")
    assert in_review.review.status == "published"


def test_a_review_is_published_once(in_review: Incident) -> None:
    publishable(in_review).publish_postmortem(CAROL, no_follow_up_reason=None)
    in_review.collect_events()

    error = refuse(
        in_review,
        IllegalTransitionError,
        lambda: in_review.publish_postmortem(CAROL, no_follow_up_reason=None),
    )
    assert error.rule == "postmortem-already-published"


@pytest.mark.parametrize("actor", [DAVE, ERIN], ids=["responder", "follow-up owner"])
def test_only_the_facilitator_or_the_commander_publishes(in_review: Incident, actor: Actor) -> None:
    publishable(in_review)

    refuse(
        in_review,
        NotAuthorizedError,
        lambda: in_review.publish_postmortem(actor, no_follow_up_reason=None),
    )


def test_follow_ups_are_tracked_to_completion_after_publication(in_review: Incident) -> None:
    follow_up_id = add_follow_up(publishable(in_review), owner="erin")
    in_review.publish_postmortem(CAROL, no_follow_up_reason=None)
    in_review.collect_events()

    in_review.complete_follow_up(ERIN, follow_up_id=follow_up_id, note="done late")

    assert event_name(only_event(in_review)) == "FollowUpCompleted"
    assert in_review.review.follow_ups[follow_up_id].done


# --- which incidents need a review ------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "required"),
    [("P1", True), ("P2", True), ("P3", False), ("P4", False), (None, False)],
)
def test_significant_incidents_need_a_review(severity: str | None, required: bool) -> None:
    incident = declare(severity=severity)

    assert incident.postmortem_required is required
    assert incident.review_pending is required


def test_a_required_review_is_pending_until_it_is_published() -> None:
    incident = declare(severity="P1")
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.close(ALICE)
    assert incident.review_pending, "closing without a review is allowed; it stays pending"

    incident.start_postmortem(ALICE, facilitator="carol")
    publishable(incident)
    assert incident.review_pending

    incident.publish_postmortem(CAROL, no_follow_up_reason=None)
    assert incident.postmortem_required
    assert not incident.review_pending


def test_raising_the_severity_to_p1_makes_a_review_required() -> None:
    incident = declare(severity="P3")
    assert not incident.review_pending

    incident.change_severity(ALICE, severity="P1", reason="spreading to all regions")

    assert (incident.postmortem_required, incident.review_pending) == (True, True)


def test_a_p3_may_be_reviewed_without_ever_being_pending() -> None:
    incident = declare(severity="P3")
    incident.resolve(ALICE, resolution="workaround", summary="flag off")
    incident.start_postmortem(ALICE, facilitator="carol")
    assert not incident.review_pending

    publishable(incident).publish_postmortem(CAROL, no_follow_up_reason=None)

    assert incident.review.status == "published"
    assert (incident.postmortem_required, incident.review_pending) == (False, False)


# --- the log says who did what ----------------------------------------------------------------


def test_every_review_event_records_who_acted() -> None:
    events = fully_reviewed().collect_events()

    review = [(event_name(e), event_actor(e)) for e in events[-12:]]
    assert review == [
        ("PostmortemStarted", "bob"),
        ("RootCauseRecorded", "dave"),
        ("RootCauseRecorded", "dave"),
        ("ContributingFactorAdded", "dave"),
        ("ContributingFactorAdded", "bob"),
        ("RecommendationAdded", "dave"),
        ("FollowUpAdded", "dave"),
        ("FollowUpAdded", "dave"),
        ("FollowUpCompleted", "erin"),
        ("FollowUpReassigned", "bob"),
        ("FollowUpDueDateChanged", "dave"),
        ("PostmortemPublished", "bob"),
    ]
    assert all(e.timestamp.utcoffset() is not None for e in events)
