"""The buckets of a metrics window: ISO weeks and calendar months in UTC, cut to the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.incident_api.metric_trends import (
    MAX_BUCKETS,
    BucketSize,
    Period,
    TooManyBucketsError,
    periods,
)


def utc(text: str) -> datetime:
    """A UTC moment written as 2020-12-28T00:00."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_weeks_are_iso_weeks_across_a_year_with_a_53rd_week() -> None:
    found = periods(utc("2020-12-30T12:00"), utc("2021-01-12T00:00"), BucketSize.WEEK)

    assert found == [
        Period("2020-W53", utc("2020-12-30T12:00"), utc("2021-01-04T00:00")),
        Period("2021-W01", utc("2021-01-04T00:00"), utc("2021-01-11T00:00")),
        Period("2021-W02", utc("2021-01-11T00:00"), utc("2021-01-12T00:00")),
    ]


def test_months_run_over_the_new_year_and_are_cut_to_the_window() -> None:
    found = periods(utc("2025-11-15T00:00"), utc("2026-02-01T00:00"), BucketSize.MONTH)

    assert found == [
        Period("2025-11", utc("2025-11-15T00:00"), utc("2025-12-01T00:00")),
        Period("2025-12", utc("2025-12-01T00:00"), utc("2026-01-01T00:00")),
        Period("2026-01", utc("2026-01-01T00:00"), utc("2026-02-01T00:00")),
    ]


def test_buckets_are_in_utc_whatever_the_offset_of_since() -> None:
    # 2026-03-02 00:30 at +01:00 is Sunday 2026-03-01 23:30 UTC: the week of 2026-W09.
    since = datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))

    (first, second) = periods(since, utc("2026-03-03T00:00"), BucketSize.WEEK)

    assert (first.label, first.start, first.end) == ("2026-W09", since, utc("2026-03-02T00:00"))
    assert second.label == "2026-W10"


def test_more_than_the_most_buckets_is_refused() -> None:
    since = utc("2000-01-03T00:00")  # a Monday

    assert len(periods(since, since + timedelta(weeks=MAX_BUCKETS), BucketSize.WEEK)) == 1000
    with pytest.raises(TooManyBucketsError):
        periods(since, since + timedelta(weeks=MAX_BUCKETS, seconds=1), BucketSize.WEEK)
