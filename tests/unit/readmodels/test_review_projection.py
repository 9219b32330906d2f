"""The review in the read models: each follow-up's row, and the incident row's review flags."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import pytest

from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR
from shared.eventstore.store import RecordedEvent
from shared.readmodels.follow_ups import (
    FollowUpRow,
    follow_up_id_of,
    project_follow_up,
)
from tests.unit.conftest import ALICE, CAROL, declare
from tests.unit.readmodels.conftest import Log, at
from tests.unit.review_story import ERIN


def fold_follow_ups(events: Iterable[RecordedEvent]) -> dict[uuid.UUID, FollowUpRow]:
    """Every follow-up's row after the given events, as the projector and a rebuild make them."""
    rows: dict[uuid.UUID, FollowUpRow | None] = {}
    for recorded in events:
        follow_up_id = follow_up_id_of(recorded)
        if follow_up_id is not None:
            rows[follow_up_id] = project_follow_up(rows.get(follow_up_id), recorded)
    return {key: row for key, row in rows.items() if row is not None}


@pytest.fixture
def log() -> Log:
    """An empty log."""
    return Log()


@pytest.fixture
def in_review(log: Log) -> Incident:
    """A P2 declared at T0, resolved at 0:50 and its review started by alice at 2:00."""
    incident = declare()
    log.record(incident, at(0))
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    log.record(incident, at(50))
    incident.start_postmortem(ALICE, facilitator="carol")
    log.record(incident, at(120))
    return incident


# --- follow-ups -------------------------------------------------------------------------------


def test_an_added_follow_up_is_an_open_row(log: Log, in_review: Incident) -> None:
    follow_up_id = in_review.add_follow_up(
        CAROL, title="Add a config canary", owner="erin", due_date="2026-03-10", ticket="OPS-2001"
    )
    log.record(in_review, at(130))

    assert fold_follow_ups(log.events) == {
        uuid.UUID(follow_up_id): FollowUpRow(
            id=uuid.UUID(follow_up_id),
            incident_id=in_review.id,
            title="Add a config canary",
            owner="erin",
            due_date=date(2026, 3, 10),
            ticket="OPS-2001",
            status="open",
            added_at=at(130),
            updated_at=at(130),
            original_due_date=date(2026, 3, 10),
        )
    }


def test_a_follow_up_row_follows_reassignment_a_new_date_and_completion(
    log: Log, in_review: Incident
) -> None:
    follow_up_id = in_review.add_follow_up(
        CAROL, title="Alert at 80%", owner="bob", due_date="2026-03-05", ticket=None
    )
    log.record(in_review, at(130))
    in_review.reassign_follow_up(CAROL, follow_up_id=follow_up_id, owner="erin")
    log.record(in_review, at(140))
    in_review.change_follow_up_due_date(
        ERIN, follow_up_id=follow_up_id, due_date="2026-03-12", reason="needs the new pipeline"
    )
    log.record(in_review, at(150))
    in_review.complete_follow_up(ERIN, follow_up_id=follow_up_id, note="alert added")
    log.record(in_review, at(160))

    (row,) = fold_follow_ups(log.events).values()

    assert (row.owner, row.due_date, row.status) == ("erin", date(2026, 3, 12), "done")
    assert (row.completed_at, row.completed_by, row.completion_note) == (
        at(160),
        "erin",
        "alert added",
    )
    assert (row.added_at, row.updated_at) == (at(130), at(160))


def test_only_follow_up_events_concern_a_follow_up_row(log: Log, in_review: Incident) -> None:
    in_review.record_root_cause(CAROL, text="pool exhausted")
    (recorded,) = log.record(in_review, at(130))

    assert follow_up_id_of(recorded) is None
    assert project_follow_up(None, recorded) is None


def test_follow_ups_of_two_incidents_keep_to_their_incident(log: Log, in_review: Incident) -> None:
    other = declare(number=8)
    log.record(other, at(1))
    other.resolve(ALICE, resolution="restored", summary="fixed")
    other.start_postmortem(ALICE, facilitator="dave")
    log.record(other, at(60))
    mine = in_review.add_follow_up(
        CAROL, title="a", owner="erin", due_date="2026-03-10", ticket=None
    )
    log.record(in_review, at(130))
    theirs = other.add_follow_up(ALICE, title="b", owner="erin", due_date="2026-03-11", ticket=None)
    log.record(other, at(131))

    rows = fold_follow_ups(log.events)

    assert {str(key): row.incident_id for key, row in rows.items()} == {
        mine: in_review.id,
        theirs: other.id,
    }


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        ("open", date(2026, 3, 9), True),
        ("open", date(2026, 3, 10), False),  # due today is not overdue yet
        ("open", date(2026, 3, 11), False),
        ("done", date(2026, 3, 9), False),
    ],
)
def test_a_follow_up_is_overdue_when_open_past_its_due_date(
    status: str, due: date, overdue: bool
) -> None:
    row = FollowUpRow(
        id=uuid.uuid4(),
        incident_id=uuid.uuid4(),
        title="t",
        owner="erin",
        due_date=due,
        ticket=None,
        status=status,
        added_at=at(0),
        updated_at=at(0),
    )

    assert row.overdue(date(2026, 3, 10)) is overdue


# --- the incident row's review flags ----------------------------------------------------------


def test_a_p2_row_shows_its_review_pending_until_published(log: Log, in_review: Incident) -> None:
    assert (log.row(in_review).postmortem_status, log.row(in_review).review_pending) == (
        "started",
        True,
    )
    in_review.record_root_cause(CAROL, text="pool exhausted")
    in_review.add_contributing_factor(CAROL, text="no canary", category="change")
    in_review.add_contributing_factor(CAROL, text="alert too late", category="detection")
    in_review.add_contributing_factor(CAROL, text="another change", category="change")
    in_review.publish_postmortem(CAROL, no_follow_up_reason="nothing left to do")
    log.record(in_review, at(200))

    row = log.row(in_review)

    assert (row.postmortem_status, row.postmortem_required, row.review_pending) == (
        "published",
        True,
        False,
    )
    assert row.factor_categories == ["change", "detection"]


def test_a_row_becomes_required_when_the_severity_rises(log: Log) -> None:
    incident = declare(severity="P4")
    log.record(incident, at(0))
    assert (log.row(incident).postmortem_required, log.row(incident).review_pending) == (
        False,
        False,
    )

    incident.change_severity(ALICE, severity="P1", reason="spreading")
    log.record(incident, at(5))

    assert (log.row(incident).postmortem_required, log.row(incident).review_pending) == (
        True,
        True,
    )


# --- corrections (issue 11) -------------------------------------------------------------------


def test_a_cancelled_follow_up_row_is_neither_open_nor_overdue(
    log: Log, in_review: Incident
) -> None:
    follow_up_id = in_review.add_follow_up(
        CAROL, title="Add a config canary", owner="erin", due_date="2026-03-03", ticket=None
    )
    log.record(in_review, at(130))
    in_review.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="replaced by OPS-9")
    log.record(in_review, at(140))

    (row,) = fold_follow_ups(log.events).values()
    assert (row.status, row.updated_at) == ("cancelled", at(140))
    assert not row.overdue(date(2026, 4, 1))
    assert row.completed_on_time is None


def test_factor_categories_follow_edits_and_withdrawals(log: Log, in_review: Incident) -> None:
    in_review.add_contributing_factor(CAROL, text="no canary", category="change")
    in_review.add_contributing_factor(CAROL, text="alert at 100%", category="detection")
    log.record(in_review, at(130))
    assert log.row(in_review).factor_categories == ["change", "detection"]

    in_review.edit_contributing_factor(CAROL, factor_id="2", category="capacity")
    in_review.withdraw_contributing_factor(CAROL, factor_id="1", reason="not a factor")
    log.record(in_review, at(140))

    row = log.row(in_review)
    assert row.factor_categories == ["capacity"]
    assert row.factors == [
        {"id": "1", "category": "change", "withdrawn": True},
        {"id": "2", "category": "capacity", "withdrawn": False},
    ]


def test_an_amended_review_is_started_and_pending_again(log: Log, in_review: Incident) -> None:
    in_review.change_severity(ALICE, severity="P1", reason="worse than thought")
    in_review.record_root_cause(CAROL, text="pool exhausted")
    in_review.publish_postmortem(CAROL, no_follow_up_reason="config only")
    log.record(in_review, at(130))
    assert (log.row(in_review).postmortem_status, log.row(in_review).review_pending) == (
        "published",
        False,
    )

    in_review.amend_postmortem(CAROL, reason="root cause was wrong")
    log.record(in_review, at(140))

    assert (log.row(in_review).postmortem_status, log.row(in_review).review_pending) == (
        "started",
        True,
    )


def test_a_follow_up_row_keeps_its_first_due_date_and_the_overdue_reminder(
    log: Log, in_review: Incident
) -> None:
    follow_up_id = in_review.add_follow_up(
        CAROL, title="Add a config canary", owner="erin", due_date="2026-03-03", ticket=None
    )
    in_review.record_follow_up_overdue(
        SYSTEM_ACTOR, follow_up_id=follow_up_id, today=date(2026, 3, 4)
    )
    in_review.change_follow_up_due_date(
        ERIN, follow_up_id=follow_up_id, due_date="2026-03-12", reason="blocked"
    )
    log.record(in_review, at(130))

    (row,) = fold_follow_ups(log.events).values()
    assert (row.original_due_date, row.due_date, row.due_date_changes, row.overdue_for) == (
        date(2026, 3, 3),
        date(2026, 3, 12),
        1,
        date(2026, 3, 3),
    )
