"""GET /v1/metrics/incidents?bucket=week|month, and the same table as CSV: five incidents in
January and February 2025 whose every moment is known, so each bucket's figures can be worked
out by hand. The test client's cadence is P1=3s, P2=6s, P3=12s, P4=24s."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import Headers, append_at, assert_problem, declare
from tests.integration.projector.metrics_answers import (
    NO_FOLLOW_UPS,
    NO_TIMES,
    durations,
    metrics_answer,
)

WINDOW = {"since": "2025-01-01T00:00:00Z", "until": "2025-03-01T00:00:00Z"}
ALICE, BOB, CAROL = Actor("alice"), Actor("bob"), Actor("carol")
NOTHING = {"intervals": 0, "within_cadence": 0, "ratio": None}


def moment(day: str, seconds: float = 0) -> datetime:
    """`seconds` after the UTC moment `day` (e.g. 2025-01-01T10:00)."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(seconds=seconds)


def cadence(intervals: int, within: int) -> dict[str, Any]:
    """A cadence compliance figure as the API answers it."""
    ratio = None if intervals == 0 else within / intervals
    return {"intervals": intervals, "within_cadence": within, "ratio": ratio}


async def five_incidents(store: EventStore) -> int:
    """January: A (P1), B (P2), C (P3 that was P1 for a moment); February: D (P2), E (P4,
    a false alarm); and F on `until`, outside. Returns the head of the log."""
    # A, P1, Wed 2025-01-01 10:00 (week 2025-W01): impact 09:50, noticed 09:55; a customer
    # update at +2 s (due +3: within); IC at +120 s; resolved +600 s, closed +1200 s.
    a = declare(1, severity="P1", services=["checkout", "payments"])
    a.set_impact_window(
        ALICE, started_at=moment("2025-01-01T09:50"), detected_at=moment("2025-01-01T09:55")
    )
    await append_at(store, a, moment("2025-01-01T10:00"))
    steps: list[tuple[int, Callable[[], object]]] = [
        (2, lambda: a.post_update(ALICE, audience="customer", body="looking")),
        (120, lambda: a.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)),
        (600, lambda: a.resolve(BOB, resolution="restored", summary="rolled back")),
        (1200, lambda: a.close(BOB)),
    ]
    for seconds, step in steps:
        step()
        await append_at(store, a, moment("2025-01-01T10:00", seconds))
    # B, P2, Thu 2025-01-02 10:00 (2025-W01): impact 09:00, noticed 09:40; IC at +300 s;
    # resolved +1800 s, closed +3600 s; no customer update before it was resolved.
    b = declare(2, severity="P2", services=["checkout"])
    b.set_impact_window(
        ALICE, started_at=moment("2025-01-02T09:00"), detected_at=moment("2025-01-02T09:40")
    )
    await append_at(store, b, moment("2025-01-02T10:00"))
    b.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    await append_at(store, b, moment("2025-01-02T10:00", 300))
    b.resolve(BOB, resolution="restored", summary="fixed")
    await append_at(store, b, moment("2025-01-02T10:00", 1800))
    b.close(BOB)
    await append_at(store, b, moment("2025-01-02T10:00", 3600))
    # C, P3, Wed 2025-01-08 00:00 (2025-W02): P1 at +1 s, P3 again at +2 s (its update is
    # then due at +12 s); a customer update at +20 s (late); resolved +100 s; never an IC.
    c = declare(3, severity="P3", services=["search"])
    await append_at(store, c, moment("2025-01-08T00:00"))
    steps = [
        (1, lambda: c.change_severity(ALICE, severity="P1", reason="worse")),
        (2, lambda: c.change_severity(ALICE, severity="P3", reason="contained")),
        (20, lambda: c.post_update(ALICE, audience="customer", body="contained")),
        (100, lambda: c.resolve(ALICE, resolution="workaround", summary="flag off")),
    ]
    for seconds, step in steps:
        step()
        await append_at(store, c, moment("2025-01-08T00:00", seconds))
    await reviews(store, a, b)
    # D, P2, Mon 2025-02-03 12:00 (2025-W06): IC at +600 s; still open and silent, so its
    # current stretch (due +6 s) is missed.
    d = declare(4, severity="P2", services=["checkout"])
    await append_at(store, d, moment("2025-02-03T12:00"))
    d.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    await append_at(store, d, moment("2025-02-03T12:00", 600))
    # E, P4, Mon 2025-02-10 00:00 (2025-W07): a false alarm at +60 s, closed at +120 s.
    e = declare(5, severity="P4", services=["search"])
    await append_at(store, e, moment("2025-02-10T00:00"))
    e.resolve(ALICE, resolution="false_alarm", summary="a test alert")
    await append_at(store, e, moment("2025-02-10T00:00", 60))
    e.close(ALICE)
    await append_at(store, e, moment("2025-02-10T00:00", 120))
    # F is declared exactly at `until`: outside the window.
    return await append_at(store, declare(6, severity="P1"), moment("2025-03-01T00:00"))


async def reviews(store: EventStore, a: Incident, b: Incident) -> None:
    """A's review (published): factor change; a follow-up added 01-05, first due 01-10, moved to
    01-20 and done 01-12, so late. B's (not published): factors change and detection; a
    follow-up added 01-05, due 01-20, done 01-15, on time."""
    a.start_postmortem(BOB, facilitator="carol")
    a.record_root_cause(CAROL, text="a deploy without a canary")
    a.add_contributing_factor(CAROL, text="no canary", category="change")
    a_late = a.add_follow_up(CAROL, title="canary", owner="bob", due_date="2025-01-10", ticket=None)
    b.start_postmortem(BOB, facilitator="carol")
    b.add_contributing_factor(CAROL, text="schema change", category="change")
    b.add_contributing_factor(CAROL, text="no alert", category="detection")
    b_on_time = b.add_follow_up(
        CAROL, title="alert", owner="bob", due_date="2025-01-20", ticket=None
    )
    await append_at(store, a, moment("2025-01-05T00:00"))
    await append_at(store, b, moment("2025-01-05T00:00"))
    a.change_follow_up_due_date(
        CAROL, follow_up_id=a_late, due_date="2025-01-20", reason="waits for the platform"
    )
    a.complete_follow_up(BOB, follow_up_id=a_late, note=None)
    a.publish_postmortem(CAROL, no_follow_up_reason=None)
    await append_at(store, a, moment("2025-01-12T00:00"))
    b.complete_follow_up(BOB, follow_up_id=b_on_time, note=None)
    await append_at(store, b, moment("2025-01-15T00:00"))


@pytest_asyncio.fixture(loop_scope="session")
async def position(client: httpx.AsyncClient, store: EventStore) -> int:
    """The position that includes every incident of the test."""
    return await five_incidents(store)


async def metrics(
    client: httpx.AsyncClient, headers: Headers, position: int, **query: Any
) -> dict[str, Any]:
    """The JSON metrics answer for `query` over WINDOW, once the read model has `position`."""
    return await metrics_answer(client, headers, position, WINDOW, **query)


JANUARY = {
    "bucket": "2025-01",
    "start": "2025-01-01T00:00:00Z",
    "end": "2025-02-01T00:00:00Z",
    "incidents": 3,
    # C was P1 for a moment: by peak severity it is a P1.
    "by_severity": {"P1": 2, "P2": 1, "P3": 0, "P4": 0, "unclassified": 0},
    "by_status": {"open": 0, "resolved": 1, "closed": 2},
    # A 300 s (09:50 to 09:55), B 2400 s (09:00 to 09:40).
    "time_to_detect": durations(2, 1350.0, 1350.0, 2400.0),
    # A 120 s, B 300 s; C never had an IC.
    "time_to_acknowledge": durations(2, 210.0, 210.0, 300.0),
    # A 300 s (09:55 to 10:00), B 1200 s (09:40 to 10:00).
    "time_to_declare": durations(2, 750.0, 750.0, 1200.0),
    "time_to_hand_over": NO_TIMES,
    # C 100, A 600, B 1800: the p90 is rank 3 of 3.
    "time_to_resolve": durations(3, 2500 / 3, 600.0, 1800.0),
    "time_to_close": durations(2, 2400.0, 2400.0, 3600.0),
    # A's update within cadence, C's late; B had none before it was resolved.
    "update_cadence": cadence(2, 1),
    "update_cadence_by_severity": {
        "P1": cadence(2, 1),
        "P2": NOTHING,
        "P3": NOTHING,
        "P4": NOTHING,
    },
    "reopens": 0,
    "reopened_incidents": 0,
    # B (P2) and C (once P1) have no published review; A's is published.
    "reviews_pending": 2,
    # A's follow-up was done 01-12, after its first due date 01-10 (moved to 01-20): late.
    # B's was done 01-15, due 01-20: on time. 7 and 10 days after they were added.
    "follow_ups": {
        "total": 2,
        "completed": 2,
        "completed_on_time": 1,
        "on_time_ratio": 0.5,
        "open": 0,
        "overdue": 0,
        "median_days_to_complete": 8.5,
        "cancelled": 0,
    },
    "by_service": {"checkout": 2, "payments": 1, "search": 1},
    "by_factor_category": {
        "detection": 1,
        "process": 0,
        "change": 2,
        "capacity": 0,
        "dependency": 0,
        "other": 0,
    },
}

FEBRUARY = {
    "bucket": "2025-02",
    "start": "2025-02-01T00:00:00Z",
    "end": "2025-03-01T00:00:00Z",
    "incidents": 2,
    "by_severity": {"P1": 0, "P2": 1, "P3": 0, "P4": 1, "unclassified": 0},
    "by_status": {"open": 1, "resolved": 0, "closed": 1},
    "time_to_detect": NO_TIMES,
    "time_to_acknowledge": durations(1, 600.0, 600.0, 600.0),
    "time_to_declare": NO_TIMES,
    "time_to_hand_over": NO_TIMES,
    # E was a false alarm: left out of time to resolve, not of time to close.
    "time_to_resolve": NO_TIMES,
    "time_to_close": durations(1, 120.0, 120.0, 120.0),
    # D's open stretch is long overdue; E was resolved before any update was due to count.
    "update_cadence": cadence(1, 0),
    "update_cadence_by_severity": {
        "P1": NOTHING,
        "P2": cadence(1, 0),
        "P3": NOTHING,
        "P4": NOTHING,
    },
    "reopens": 0,
    "reopened_incidents": 0,
    "reviews_pending": 1,
    "follow_ups": NO_FOLLOW_UPS,
    "by_service": {"checkout": 1, "search": 1},
    "by_factor_category": {
        "detection": 0,
        "process": 0,
        "change": 0,
        "capacity": 0,
        "dependency": 0,
        "other": 0,
    },
}


async def test_monthly_trends_give_each_month_its_own_figures(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    body = await metrics(client, reader, position, bucket="month")

    assert body["bucket"] == "month"
    assert body["trends"] == [JANUARY, FEBRUARY]
    assert body["incidents"] == 5
    # checkout: A, B, D; search: C, E. payments only once.
    assert body["recurring_services"] == {"checkout": 3, "search": 2}
    assert body["update_cadence_by_severity"] == {
        "P1": cadence(2, 1),
        "P2": cadence(1, 0),
        "P3": NOTHING,
        "P4": NOTHING,
    }
    # The window's figures are those of all five: A, B, C, D acknowledged.
    assert body["time_to_acknowledge"] == durations(3, 340.0, 300.0, 600.0)
    assert body["follow_ups"] == JANUARY["follow_ups"]


async def test_weekly_trends_cover_the_window_week_by_week_with_empty_weeks_too(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    trends = (await metrics(client, reader, position, bucket="week"))["trends"]

    assert [(t["bucket"], t["start"], t["end"], t["incidents"]) for t in trends] == [
        # 2025-W01 began on Monday 2024-12-30: its bucket starts at `since`.
        ("2025-W01", "2025-01-01T00:00:00Z", "2025-01-06T00:00:00Z", 2),
        ("2025-W02", "2025-01-06T00:00:00Z", "2025-01-13T00:00:00Z", 1),
        ("2025-W03", "2025-01-13T00:00:00Z", "2025-01-20T00:00:00Z", 0),
        ("2025-W04", "2025-01-20T00:00:00Z", "2025-01-27T00:00:00Z", 0),
        ("2025-W05", "2025-01-27T00:00:00Z", "2025-02-03T00:00:00Z", 0),
        ("2025-W06", "2025-02-03T00:00:00Z", "2025-02-10T00:00:00Z", 1),
        ("2025-W07", "2025-02-10T00:00:00Z", "2025-02-17T00:00:00Z", 1),
        ("2025-W08", "2025-02-17T00:00:00Z", "2025-02-24T00:00:00Z", 0),
        # and 2025-W09 ends at `until`.
        ("2025-W09", "2025-02-24T00:00:00Z", "2025-03-01T00:00:00Z", 0),
    ]
    first, second = trends[0], trends[1]
    assert first["time_to_resolve"] == durations(2, 1200.0, 1200.0, 1800.0)
    assert first["by_service"] == {"checkout": 2, "payments": 1}
    assert first["by_factor_category"]["change"] == 2
    assert first["follow_ups"]["completed_on_time"] == 1
    assert second["by_service"] == {"search": 1}
    assert second["update_cadence_by_severity"]["P1"] == cadence(1, 0)
    assert trends[2]["time_to_acknowledge"] == NO_TIMES
    assert trends[2]["update_cadence"] == NOTHING


async def test_trends_follow_the_severity_basis_and_filter(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    current = await metrics(client, reader, position, bucket="month", severity_basis="current")
    january = current["trends"][0]
    # C is a P3 now: its late update counts under P3.
    assert january["by_severity"] == {"P1": 1, "P2": 1, "P3": 1, "P4": 0, "unclassified": 0}
    assert january["update_cadence_by_severity"]["P1"] == cadence(1, 1)
    assert january["update_cadence_by_severity"]["P3"] == cadence(1, 0)

    only_p2 = await metrics(client, reader, position, bucket="month", severity="P2")
    assert [t["incidents"] for t in only_p2["trends"]] == [1, 1]
    assert only_p2["recurring_services"] == {"checkout": 2}


async def test_a_false_alarm_counts_in_its_bucket_when_asked(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    body = await metrics(client, reader, position, bucket="month", include_not_incidents="true")

    assert body["trends"][1]["time_to_resolve"] == durations(1, 60.0, 60.0, 60.0)


async def test_without_bucket_there_are_no_trends(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    body = await metrics(client, reader, position)

    assert (body["bucket"], body["trends"]) == (None, [])
    assert body["incidents"] == 5


async def test_the_csv_is_the_same_table_with_a_total_row(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    response = await client.get(
        "/v1/metrics/incidents",
        params={**WINDOW, "min_position": position, "bucket": "month"},
        headers={**reader, "Accept": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.endswith("\r\n")
    january, february, total = csv.DictReader(io.StringIO(response.text))
    assert [r["bucket"] for r in (january, february, total)] == ["2025-01", "2025-02", "total"]
    assert (total["start"], total["end"]) == ("2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z")
    assert (january["incidents"], february["incidents"], total["incidents"]) == ("3", "2", "5")
    assert january["time_to_resolve_mean_seconds"] == str(2500 / 3)
    assert january["time_to_resolve_p90_seconds"] == "1800.0"
    assert february["time_to_resolve_p90_seconds"] == ""  # no figure: an empty cell
    assert january["time_to_detect_p90_seconds"] == "2400.0"
    assert january["cadence_P1_intervals"] == "2"
    assert february["cadence_P2_ratio"] == "0.0"
    assert january["follow_ups_completed_on_time"] == "1"
    assert january["factor_change"] == "2"
    # Every row has a column for each service of the window, 0 where it had none.
    services = {k: v for k, v in january.items() if k.startswith("service_")}
    assert services == {
        "service_checkout": "2",
        "service_payments": "1",
        "service_search": "1",
    }
    assert february["service_payments"] == "0"
    assert total["service_checkout"] == "3"


async def test_the_csv_without_bucket_is_one_row_for_the_window(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    response = await client.get(
        "/v1/metrics/incidents",
        params={**WINDOW, "min_position": position},
        headers={**reader, "Accept": "text/csv"},
    )

    (total,) = csv.DictReader(io.StringIO(response.text))
    assert (total["bucket"], total["incidents"], total["status_open"]) == ("total", "5", "1")


@pytest.mark.parametrize(
    ("query", "status", "slug", "field"),
    [
        ({"bucket": "day"}, 422, "validation-error", "bucket"),
        ({"bucket": ""}, 422, "validation-error", "bucket"),
        ({"buckets": "week"}, 400, "unknown-query-parameter", None),
        # Moments that fall outside years 1 to 9999 once in UTC.
        ({"since": "0001-01-01T00:00:00+01:00"}, 422, "validation-error", "since"),
        (
            {"since": "9999-12-01T00:00:00Z", "until": "9999-12-31T23:59:59-01:00"},
            422,
            "validation-error",
            "until",
        ),
        # 99 years of weeks is over the 1000 buckets an answer holds.
        (
            {"bucket": "week", "since": "2000-01-01T00:00:00Z", "until": "2099-01-01T00:00:00Z"},
            422,
            "validation-error",
            "bucket",
        ),
    ],
)
async def test_bad_buckets_are_refused_naming_the_parameter(
    client: httpx.AsyncClient,
    reader: Headers,
    query: dict[str, str],
    status: int,
    slug: str,
    field: str | None,
) -> None:
    response = await client.get("/v1/metrics/incidents", params=query, headers=reader)

    assert_problem(response, status, slug, field=field)


async def test_the_largest_windows_still_answer(client: httpx.AsyncClient, reader: Headers) -> None:
    monthly = await client.get(
        "/v1/metrics/incidents",
        params={
            "bucket": "month",
            "since": "9950-01-01T00:00:00Z",
            "until": "9999-12-31T23:59:59Z",
        },
        headers=reader,
    )
    weekly = await client.get(
        "/v1/metrics/incidents",
        params={"bucket": "week", "since": "0001-01-01T00:00:00Z", "until": "0002-01-01T00:00:00Z"},
        headers=reader,
    )

    assert monthly.status_code == 200, monthly.text
    assert monthly.json()["trends"][-1]["bucket"] == "9999-12"
    assert monthly.json()["trends"][-1]["end"] == "9999-12-31T23:59:59Z"
    assert weekly.status_code == 200, weekly.text
    assert weekly.json()["trends"][0]["bucket"] == "0001-W01"


async def test_the_document_declares_the_csv_answer_and_the_bucket_sizes(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/metrics/incidents"]["get"]

    assert "text/csv" in operation["responses"]["200"]["content"]
    assert "application/json" in operation["responses"]["200"]["content"]
    (bucket,) = [p for p in operation["parameters"] if p["name"] == "bucket"]
    name = bucket["schema"]["$ref"].rsplit("/", 1)[1]
    assert document["components"]["schemas"][name]["enum"] == ["week", "month"]
