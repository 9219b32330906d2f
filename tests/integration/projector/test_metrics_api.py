"""GET /v1/metrics/incidents over incidents whose every moment is known, so every figure can
be worked out by hand. The test client's cadence is P1=3s, P2=6s, P3=12s, P4=24s."""

from __future__ import annotations

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
    NO_FACTORS,
    NO_FOLLOW_UPS,
    durations,
    metrics_answer,
)

DAY = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW = {"since": "2025-01-01T00:00:00Z", "until": "2025-01-02T00:00:00Z"}
ALICE, BOB, CAROL, DAVE = Actor("alice"), Actor("bob"), Actor("carol"), Actor("dave")


def at(hour: int, seconds: float = 0) -> datetime:
    """`seconds` after the given hour of DAY."""
    return DAY + timedelta(hours=hour, seconds=seconds)


async def four_incidents_and_two_outside(store: EventStore) -> int:
    """The incidents of the window (and two just outside it); returns the head."""
    # A, P1 at 01:00: customer updates at +2 s (due +3: on time) and +10 s (due +5: late),
    # IC at +60 s, resolved at +300 s, closed at +600 s.
    a = declare(1, severity="P1", services=["checkout", "payments"])
    await append_at(store, a, at(1))
    for seconds in (2, 10):
        a.post_update(ALICE, audience="customer", body=f"at +{seconds}s")
        await append_at(store, a, at(1, seconds))
    a.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    await append_at(store, a, at(1, 60))
    a.resolve(BOB, resolution="restored", summary="rolled back")
    await append_at(store, a, at(1, 300))
    a.close(BOB)
    await append_at(store, a, at(1, 600))
    await review_of_a(store, a)
    # B, P2 at 02:00: IC at +180 s, resolved +900 s, reopened +1000 s, resolved again +1200 s.
    b = declare(2, severity="P2", services=["search"])
    await append_at(store, b, at(2))
    b.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    await append_at(store, b, at(2, 180))
    commands: list[tuple[int, Callable[[], object]]] = [
        (900, lambda: b.resolve(BOB, resolution="workaround", summary="flag off")),
        (1000, lambda: b.reopen(BOB, reason="flag back on")),
        (1200, lambda: b.resolve(BOB, resolution="restored", summary="fixed")),
    ]
    for seconds, command in commands:
        command()
        await append_at(store, b, at(2, seconds))
    # C, P2 at 03:00, still open and silent: its customer update was due at 03:00:06.
    await append_at(store, declare(3, severity="P2"), at(3))
    # D, unclassified at 04:00, still open: nothing is due.
    await append_at(store, declare(4, severity=None, services=[]), at(4))
    # Outside the window: one a second too early, one exactly at `until`.
    await append_at(store, declare(5, severity="P1"), DAY - timedelta(seconds=1))
    return await append_at(store, declare(6, severity="P3"), DAY + timedelta(days=1))


async def review_of_a(store: EventStore, a: Incident) -> None:
    """A's published review, after the window: two factor categories (one twice) and four
    follow-ups, added on 01-02 at 09:00 (every one's days to complete count from there)."""
    a.start_postmortem(BOB, facilitator="carol")
    a.record_root_cause(CAROL, text="a deploy without a canary")
    a.add_contributing_factor(CAROL, text="no canary", category="change")
    a.add_contributing_factor(CAROL, text="config drift", category="change")
    a.add_contributing_factor(CAROL, text="alert fired late", category="detection")
    on_time = a.add_follow_up(
        CAROL, title="canary", owner="dave", due_date="2025-01-10", ticket=None
    )
    late = a.add_follow_up(CAROL, title="alert", owner="dave", due_date="2025-01-03", ticket=None)
    a.add_follow_up(CAROL, title="runbook", owner="erin", due_date="2025-01-20", ticket=None)
    a.add_follow_up(CAROL, title="drill", owner="erin", due_date="2099-01-01", ticket=None)
    await append_at(store, a, DAY + timedelta(days=1, hours=9))
    # Done 3 days after being added (on time), and 2.5 days after (a day late).
    a.complete_follow_up(DAVE, follow_up_id=on_time, note=None)
    await append_at(store, a, DAY + timedelta(days=4, hours=9))
    a.complete_follow_up(DAVE, follow_up_id=late, note=None)
    await append_at(store, a, DAY + timedelta(days=3, hours=21))
    a.publish_postmortem(CAROL, no_follow_up_reason=None)
    await append_at(store, a, DAY + timedelta(days=5))


@pytest_asyncio.fixture(loop_scope="session")
async def position(client: httpx.AsyncClient, store: EventStore) -> int:
    """The position that includes every incident of the test."""
    return await four_incidents_and_two_outside(store)


async def metrics(
    client: httpx.AsyncClient, headers: Headers, position: int, **query: Any
) -> dict[str, Any]:
    """The metrics answer for `query`, once the read model includes `position`."""
    return await metrics_answer(client, headers, position, WINDOW, **query)


async def test_metrics_of_every_incident_declared_in_the_window(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    assert await metrics(client, reader, position) == {
        "since": "2025-01-01T00:00:00Z",
        "until": "2025-01-02T00:00:00Z",
        "severity": None,
        "severity_basis": "peak",
        "incidents": 4,
        "by_severity": {"P1": 1, "P2": 2, "P3": 0, "P4": 0, "unclassified": 1},
        "by_status": {"open": 2, "resolved": 1, "closed": 1},
        # A 60 s, B 180 s; C and D have no IC.
        "time_to_acknowledge": durations(2, 120.0, 120.0, 180.0),
        # A 300 s; B 1200 s (its latest resolution).
        "time_to_resolve": durations(2, 750.0, 750.0, 1200.0),
        "time_to_close": durations(1, 600.0, 600.0, 600.0),
        # None of them was declared with an impact window (test_outside_facts measures them).
        "time_to_detect": durations(0, None, None, None),
        "time_to_declare": durations(0, None, None, None),
        "time_to_hand_over": durations(0, None, None, None),  # no shift changed
        # A: two intervals, one on time; C: its open stretch, long overdue; B and D: none.
        "update_cadence": {"intervals": 3, "within_cadence": 1, "ratio": 1 / 3},
        "reopens": 1,
        "reopened_incidents": 1,
        # B and C (P2) have no review; A's is published; D needs none.
        "reviews_pending": 2,
        # A's four follow-ups: two done (one on time) after 3 and 2.5 days; of the two open,
        # one was due in January 2025 and one is due in 2099.
        "follow_ups": {
            "total": 4,
            "completed": 2,
            "completed_on_time": 1,
            "on_time_ratio": 0.5,
            "open": 2,
            "overdue": 1,
            "median_days_to_complete": 2.75,
            "cancelled": 0,
        },
        "by_service": {"checkout": 2, "payments": 1, "search": 1},
        "by_factor_category": {**NO_FACTORS, "change": 1, "detection": 1},
        # A (P1): its two intervals; C (P2): its overdue stretch.
        "update_cadence_by_severity": {
            "P1": {"intervals": 2, "within_cadence": 1, "ratio": 0.5},
            "P2": {"intervals": 1, "within_cadence": 0, "ratio": 0.0},
            "P3": {"intervals": 0, "within_cadence": 0, "ratio": None},
            "P4": {"intervals": 0, "within_cadence": 0, "ratio": None},
        },
        "recurring_services": {"checkout": 2},
        "bucket": None,
        "trends": [],
    }


async def test_metrics_of_one_severity(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    body = await metrics(client, reader, position, severity="P2")

    assert body["severity"] == "P2"
    assert body["incidents"] == 2
    assert body["by_severity"] == {"P1": 0, "P2": 2, "P3": 0, "P4": 0, "unclassified": 0}
    assert body["by_status"] == {"open": 1, "resolved": 1, "closed": 0}
    assert body["time_to_acknowledge"] == durations(1, 180.0, 180.0, 180.0)
    assert body["time_to_resolve"] == durations(1, 1200.0, 1200.0, 1200.0)
    assert body["time_to_close"] == durations(0, None, None, None)
    assert body["update_cadence"] == {"intervals": 1, "within_cadence": 0, "ratio": 0.0}
    assert (body["reopens"], body["reopened_incidents"]) == (1, 1)
    assert body["reviews_pending"] == 2
    assert body["follow_ups"] == NO_FOLLOW_UPS
    assert body["by_service"] == {"checkout": 1, "search": 1}
    assert body["by_factor_category"] == NO_FACTORS


@pytest.mark.parametrize(
    ("window", "numbers"),
    [
        ({"since": "2025-01-01T02:00:00Z", "until": "2025-01-01T03:00:00Z"}, 1),  # B only
        ({"since": "2025-01-01T03:00:00+01:00", "until": "2025-01-01T05:00:00Z"}, 3),  # B C D
        ({"since": "2024-12-31T23:59:59Z", "until": "2025-01-01T00:00:01Z"}, 1),  # the early one
        ({"since": "2025-01-02T00:00:00Z", "until": "2025-01-03T00:00:00Z"}, 1),  # at `until`
        ({"since": "2025-02-01T00:00:00Z", "until": "2025-03-01T00:00:00Z"}, 0),
    ],
)
async def test_the_window_includes_since_and_excludes_until(
    client: httpx.AsyncClient,
    position: int,
    reader: Headers,
    window: dict[str, str],
    numbers: int,
) -> None:
    assert (await metrics(client, reader, position, **window))["incidents"] == numbers


async def test_an_empty_window_has_zero_counts_and_no_figures(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    body = await metrics(
        client, reader, position, since="2020-01-01T00:00:00Z", until="2020-01-02T00:00:00Z"
    )

    assert body["incidents"] == 0
    assert body["time_to_resolve"] == durations(0, None, None, None)
    assert body["update_cadence"] == {"intervals": 0, "within_cadence": 0, "ratio": None}


async def test_the_default_window_is_the_last_thirty_days(
    client: httpx.AsyncClient, position: int, reader: Headers
) -> None:
    response = await client.get(
        "/v1/metrics/incidents", params={"min_position": position}, headers=reader
    )

    body = response.json()
    since, until = datetime.fromisoformat(body["since"]), datetime.fromisoformat(body["until"])
    assert until - since == timedelta(days=30)
    assert body["incidents"] == 0  # everything here was declared in 2025


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2025-01-02T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "since"),
        ({"since": "2025-01-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}, "since"),
        ({"since": "2025-01-01T00:00:00", "until": "2025-01-02T00:00:00Z"}, None),
        ({"severity": "P0"}, "severity"),
        ({"since": "last week"}, "since"),
    ],
)
async def test_bad_windows_are_refused(
    client: httpx.AsyncClient, reader: Headers, query: dict[str, str], field: str | None
) -> None:
    response = await client.get("/v1/metrics/incidents", params=query, headers=reader)

    assert_problem(response, 422, "validation-error", field=field)
