"""Review metrics: follow-ups tracked to completion, reviews pending, recurring causes; every
number worked out by hand."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TypedDict, Unpack

import pytest

from services.incident_api.incident_metrics import (
    FollowUpMetrics,
    compute_follow_up_metrics,
    compute_metrics,
    count_by_factor_category,
    count_by_service,
)
from shared.readmodels.follow_ups import FollowUpRow
from shared.readmodels.incidents import IncidentRow
from tests.unit.readmodels.conftest import at

ADDED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 7)


def follow_up(
    due: date, *, done_after_days: float | None = None, added: datetime = ADDED
) -> FollowUpRow:
    """A follow-up added at `added`, due on `due`, done `done_after_days` later (or open)."""
    completed = None if done_after_days is None else added + timedelta(days=done_after_days)
    return FollowUpRow(
        id=uuid.uuid4(),
        incident_id=uuid.uuid4(),
        title="t",
        owner="erin",
        due_date=due,
        ticket=None,
        status="open" if completed is None else "done",
        added_at=added,
        updated_at=completed or added,
        completed_at=completed,
        completed_by=None if completed is None else "erin",
    )


def test_six_follow_ups_on_time_open_overdue_and_median_days() -> None:
    rows = [
        follow_up(date(2026, 3, 4), done_after_days=2),  # done 3 Mar, due 4 Mar: on time
        follow_up(date(2026, 3, 4), done_after_days=3.25),  # done 4 Mar 18:00, the due day
        follow_up(date(2026, 3, 2), done_after_days=5),  # done 6 Mar, due 2 Mar: late
        follow_up(date(2026, 3, 6)),  # open, due yesterday: overdue
        follow_up(date(2026, 3, 7)),  # open, due today: not overdue yet
        follow_up(date(2026, 3, 20)),  # open, due later
    ]

    metrics = compute_follow_up_metrics(rows, today=TODAY)

    assert metrics == FollowUpMetrics(
        total=6,
        completed=3,
        completed_on_time=2,
        open=3,
        overdue=1,
        median_days_to_complete=3.25,  # of 2, 3.25 and 5 days
    )
    assert metrics.on_time_ratio == 2 / 3


def test_an_even_number_of_completions_has_the_mean_of_the_middle_two_as_median() -> None:
    rows = [follow_up(date(2026, 3, 30), done_after_days=days) for days in (1, 2, 4, 10)]

    metrics = compute_follow_up_metrics(rows, today=TODAY)

    assert metrics.median_days_to_complete == 3.0
    assert (metrics.completed_on_time, metrics.on_time_ratio) == (4, 1.0)


@pytest.mark.parametrize(
    ("completed", "on_time"),
    [
        (datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC), True),
        (datetime(2026, 3, 5, 0, 0, tzinfo=UTC), False),
    ],
)
def test_on_time_means_done_by_the_end_of_the_due_day_in_utc(
    completed: datetime, on_time: bool
) -> None:
    row = follow_up(date(2026, 3, 4), done_after_days=(completed - ADDED) / timedelta(days=1))

    assert row.completed_on_time is on_time
    assert compute_follow_up_metrics([row], today=TODAY).completed_on_time == int(on_time)


def test_no_follow_ups_has_no_ratio_and_no_median() -> None:
    metrics = compute_follow_up_metrics([], today=TODAY)

    assert metrics == FollowUpMetrics(
        total=0,
        completed=0,
        completed_on_time=0,
        open=0,
        overdue=0,
        median_days_to_complete=None,
    )
    assert metrics.on_time_ratio is None


def test_only_open_follow_ups_have_no_ratio_yet() -> None:
    metrics = compute_follow_up_metrics([follow_up(date(2026, 3, 1))], today=TODAY)

    assert (metrics.open, metrics.overdue, metrics.on_time_ratio) == (1, 1, None)
    assert metrics.median_days_to_complete is None


class RowChanges(TypedDict, total=False):
    """The incident row's fields these tests set."""

    severity: str | None
    services: list[str]
    postmortem_status: str
    postmortem_required: bool
    review_pending: bool
    factor_categories: list[str]


def incident(number: int, **changes: Unpack[RowChanges]) -> IncidentRow:
    """An open P2 declared at T0, with `changes`."""
    row = IncidentRow(
        id=uuid.uuid4(),
        number=number,
        title=f"incident {number}",
        description=None,
        status="open",
        severity="P2",
        criteria=["customer_sla_at_risk"],
        services=[],
        owner="alice",
        declared_by="alice",
        declared_at=at(0),
        updated_at=at(0),
        version=1,
        position=number,
    )
    return dataclasses.replace(row, **changes)


def test_reviews_pending_counts_required_reviews_not_yet_published() -> None:
    rows = [
        incident(1, severity="P1", postmortem_required=True, review_pending=True),
        incident(2, severity="P2", postmortem_required=True, review_pending=True),
        incident(
            3,
            severity="P1",
            postmortem_status="published",
            postmortem_required=True,
            review_pending=False,
        ),
        incident(4, severity="P3", postmortem_status="started"),
    ]

    assert compute_metrics(rows, now=at(60)).reviews_pending == 2


def test_incidents_count_once_for_each_of_their_services() -> None:
    rows = [
        incident(1, services=["payments", "checkout"]),
        incident(2, services=["checkout"]),
        incident(3, services=[]),
    ]

    assert count_by_service(rows) == {"checkout": 2, "payments": 1}


def test_incidents_count_once_for_each_factor_category_and_every_category_is_listed() -> None:
    rows = [
        incident(1, factor_categories=["change", "detection"]),
        incident(2, factor_categories=["change"]),
        incident(3),
    ]

    assert count_by_factor_category(rows) == {
        "detection": 1,
        "process": 0,
        "change": 2,
        "capacity": 0,
        "dependency": 0,
        "other": 0,
    }


def test_a_cancelled_follow_up_counts_neither_as_done_nor_as_open() -> None:
    rows = [
        follow_up(date(2026, 3, 1)),
        dataclasses.replace(follow_up(date(2026, 3, 1)), status="cancelled"),
    ]

    metrics = compute_follow_up_metrics(rows, today=date(2026, 3, 10))

    assert (metrics.total, metrics.completed, metrics.open, metrics.overdue) == (2, 0, 1, 1)
    assert metrics.cancelled == 1


def test_on_time_is_measured_against_the_first_due_date() -> None:
    moved_then_late = dataclasses.replace(
        follow_up(date(2026, 3, 20), done_after_days=9),  # done 03-10, due 03-20 now
        original_due_date=date(2026, 3, 5),
        due_date_changes=1,
    )
    kept_its_date = dataclasses.replace(
        follow_up(date(2026, 3, 20), done_after_days=9), original_due_date=date(2026, 3, 20)
    )

    metrics = compute_follow_up_metrics([moved_then_late, kept_its_date], today=TODAY)

    assert moved_then_late.completed_on_time is False, "moving the date does not make it on time"
    assert (metrics.completed, metrics.completed_on_time) == (2, 1)
