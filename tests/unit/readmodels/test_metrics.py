"""Incident metrics, each definition checked against numbers worked out by hand."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

import pytest

from services.incident_api.incident_metrics import (
    CadenceCompliance,
    DurationStats,
    SeverityBasis,
    cadence_compliance,
    compute_metrics,
)
from shared.readmodels.incidents import IncidentRow
from tests.unit.conftest import ALICE, declare
from tests.unit.readmodels.conftest import Log, at


def row(
    number: int,
    *,
    severity: str | None = "P2",
    peak: str | None = None,
    status: str = "open",
    ic_at: datetime | None = None,
    resolved_at: datetime | None = None,
    closed_at: datetime | None = None,
    reopens: int = 0,
    intervals: tuple[int, int] = (0, 0),
    due: datetime | None = None,
) -> IncidentRow:
    """An incident declared at T0 with only what the metrics read."""
    return IncidentRow(
        id=uuid.uuid4(),
        number=number,
        title=f"incident {number}",
        description=None,
        status=status,
        severity=severity,
        peak_severity=peak or severity,
        criteria=["customer_sla_at_risk"],
        services=[],
        owner="alice",
        declared_by="alice",
        declared_at=at(0),
        updated_at=at(0),
        version=1,
        position=number,
        ic_assigned_at=ic_at,
        resolved_at=resolved_at,
        closed_at=closed_at,
        reopen_count=reopens,
        customer_update_intervals=intervals[0],
        customer_update_intervals_met=intervals[1],
        next_customer_update_due=due,
    )


# --- duration statistics ------------------------------------------------------------------


def test_three_acknowledgements_mean_median_and_p90() -> None:
    rows = [row(1, ic_at=at(1)), row(2, ic_at=at(2)), row(3, ic_at=at(10))]

    stats = compute_metrics(rows, now=at(60)).time_to_acknowledge

    # 60 s, 120 s, 600 s: mean 780/3 = 260; median the middle one; p90 rank ceil(2.7) = 3.
    assert stats == DurationStats(count=3, mean=260.0, median=120.0, p90=600.0)


def test_an_even_count_has_the_mean_of_the_two_middle_values_as_median() -> None:
    assert DurationStats.of([600, 60, 180, 120]) == DurationStats(
        count=4, mean=240.0, median=150.0, p90=600.0
    )


@pytest.mark.parametrize(
    ("count", "p90_rank"),
    [(1, 1), (2, 2), (9, 9), (10, 9), (11, 10), (19, 18), (20, 18), (21, 19), (100, 90)],
)
def test_p90_is_the_nearest_rank_never_an_interpolation(count: int, p90_rank: int) -> None:
    # Values 10, 20, 30 …: the p90 is the value of rank ceil(0.9 * count).
    stats = DurationStats.of([10.0 * n for n in range(count, 0, -1)])

    assert stats.p90 == 10.0 * p90_rank


def test_no_durations_give_no_figures() -> None:
    assert DurationStats.of([]) == DurationStats(count=0, mean=None, median=None, p90=None)


def test_time_to_acknowledge_counts_only_incidents_with_an_ic() -> None:
    rows = [row(1, ic_at=at(5)), row(2), row(3, ic_at=at(0, seconds=30))]

    stats = compute_metrics(rows, now=at(60)).time_to_acknowledge

    assert stats == DurationStats(count=2, mean=165.0, median=165.0, p90=300.0)


def test_time_to_resolve_and_to_close_run_from_the_declaration() -> None:
    rows = [
        row(1, status="closed", resolved_at=at(30), closed_at=at(90)),
        row(2, status="resolved", resolved_at=at(45)),
        row(3, status="closed", resolved_at=at(120), closed_at=at(180)),
        row(4),  # still open: neither
    ]

    metrics = compute_metrics(rows, now=at(300))

    # Resolve: 1800, 2700, 7200 s. Close: 5400, 10800 s.
    assert metrics.time_to_resolve == DurationStats(count=3, mean=3900.0, median=2700.0, p90=7200.0)
    assert metrics.time_to_close == DurationStats(count=2, mean=8100.0, median=8100.0, p90=10800.0)


def test_time_to_resolve_uses_the_latest_resolution_after_a_reopen() -> None:
    log = Log()
    incident = declare()
    log.record(incident, at(0))
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    log.record(incident, at(10))
    incident.reopen(ALICE, reason="errors are back")
    log.record(incident, at(20))
    incident.resolve(ALICE, resolution="mitigated", summary="rate limited")
    log.record(incident, at(35))

    metrics = compute_metrics(log.rows().values(), now=at(60))

    assert metrics.time_to_resolve == DurationStats(count=1, mean=2100.0, median=2100.0, p90=2100.0)
    assert (metrics.reopens, metrics.reopened_incidents) == (1, 1)


def test_time_to_resolve_leaves_out_false_alarms_and_duplicates_unless_asked() -> None:
    rows = [
        replace(row(1, status="resolved", resolved_at=at(30)), resolution="restored"),
        replace(row(2, status="resolved", resolved_at=at(5)), resolution="false_alarm"),
        replace(
            row(3, status="closed", resolved_at=at(10), closed_at=at(20)), resolution="duplicate"
        ),
    ]

    left_out = compute_metrics(rows, now=at(60))
    counted = compute_metrics(rows, now=at(60), include_not_incidents=True)

    assert left_out.time_to_resolve == DurationStats(
        count=1, mean=1800.0, median=1800.0, p90=1800.0
    )
    assert counted.time_to_resolve.count == 3
    # Only time to resolve leaves them out: they were still declared, and closed.
    assert (left_out.incidents, left_out.time_to_close.count) == (3, 1)


# --- counts ---------------------------------------------------------------------------------


def test_counts_by_severity_and_status_list_every_key_even_when_zero() -> None:
    rows = [
        row(1, severity="P1", status="closed"),
        row(2, severity="P1", status="open"),
        row(3, severity="P3", status="resolved"),
        row(4, severity=None, status="open"),
        row(5, severity="P1", status="closed"),
    ]

    metrics = compute_metrics(rows, now=at(0))

    assert metrics.incidents == 5
    assert metrics.by_severity == {"P1": 3, "P2": 0, "P3": 1, "P4": 0, "unclassified": 1}
    assert metrics.by_status == {"open": 2, "resolved": 1, "closed": 2}


def test_by_severity_counts_the_peak_unless_asked_for_the_current_severity() -> None:
    rows = [
        row(1, severity="P3", peak="P1"),  # downgraded once the blast radius was known
        row(2, severity="P2"),
        row(3, severity="P1", peak="P1"),
    ]

    by_peak = compute_metrics(rows, now=at(0)).by_severity
    by_current = compute_metrics(rows, now=at(0), basis=SeverityBasis.CURRENT).by_severity

    assert by_peak == {"P1": 2, "P2": 1, "P3": 0, "P4": 0, "unclassified": 0}
    assert by_current == {"P1": 1, "P2": 1, "P3": 1, "P4": 0, "unclassified": 0}


def test_nothing_to_measure_is_all_zeros_and_nones() -> None:
    metrics = compute_metrics([], now=at(0))

    assert metrics.incidents == 0
    assert set(metrics.by_severity.values()) == {0}
    assert set(metrics.by_status.values()) == {0}
    assert metrics.time_to_acknowledge.count == 0
    assert metrics.update_cadence == CadenceCompliance(intervals=0, within_cadence=0)
    assert metrics.update_cadence.ratio is None
    assert (metrics.reopens, metrics.reopened_incidents) == (0, 0)


def test_reopens_count_every_reopen_and_every_reopened_incident() -> None:
    rows = [row(1, reopens=2), row(2), row(3, reopens=1), row(4, reopens=0)]

    metrics = compute_metrics(rows, now=at(0))

    assert (metrics.reopens, metrics.reopened_incidents) == (3, 2)


# --- customer-update cadence ----------------------------------------------------------------


def test_closed_intervals_count_as_recorded() -> None:
    rows = [
        row(1, status="closed", intervals=(3, 2)),
        row(2, status="resolved", intervals=(4, 4)),
    ]

    compliance = cadence_compliance(rows, now=at(0))

    assert compliance == CadenceCompliance(intervals=7, within_cadence=6)
    assert compliance.ratio == pytest.approx(6 / 7)


def test_an_open_stretch_before_its_due_time_counts_as_within() -> None:
    compliance = cadence_compliance([row(1, intervals=(1, 0), due=at(60))], now=at(30))

    assert compliance == CadenceCompliance(intervals=2, within_cadence=1)
    assert compliance.ratio == 0.5


def test_an_open_stretch_exactly_at_its_due_time_is_still_within() -> None:
    assert cadence_compliance([row(1, due=at(60))], now=at(60)) == CadenceCompliance(1, 1)


def test_an_open_stretch_past_its_due_time_counts_as_missed() -> None:
    assert cadence_compliance([row(1, due=at(60))], now=at(61)) == CadenceCompliance(1, 0)


def test_incidents_with_nothing_due_add_no_stretch() -> None:
    rows = [
        row(1, severity=None),  # open but unclassified
        row(2, status="resolved", intervals=(2, 1)),  # resolved: nothing due
        row(3, status="closed"),
    ]

    assert cadence_compliance(rows, now=at(999)) == CadenceCompliance(2, 1)


def test_cadence_compliance_of_real_stories_worked_out_by_hand() -> None:
    log = Log()
    # P1 (30 min): customer updates at 20 (on time) and 70 (due 50: late), then resolved.
    fast = declare(number=1, severity="P1")
    log.record(fast, at(0))
    for minute in (20, 70):
        fast.post_update(ALICE, audience="customer", body=f"at {minute}")
        log.record(fast, at(minute))
    fast.resolve(ALICE, resolution="restored", summary="fixed")
    log.record(fast, at(80))
    # P2 (60 min): an update at 60 (on time, due 60), still open, next due at 120.
    slow = declare(number=2, severity="P2")
    log.record(slow, at(0))
    slow.post_update(ALICE, audience="customer", body="at 60")
    log.record(slow, at(60))
    # P3 (4 h): silent, still open, due at 240.
    quiet = declare(number=3, severity="P3")
    log.record(quiet, at(0))

    # At minute 100: closed intervals 2 of 3 on time; slow's stretch (due 120) and quiet's
    # (due 240) are within.
    assert cadence_compliance(log.rows().values(), now=at(100)) == CadenceCompliance(5, 4)
    # At minute 180: slow's stretch is overdue; quiet's is not yet.
    assert cadence_compliance(log.rows().values(), now=at(180)) == CadenceCompliance(5, 3)
    # At minute 300: both open stretches are overdue.
    assert cadence_compliance(log.rows().values(), now=at(300)) == CadenceCompliance(5, 2)


def test_compute_metrics_reports_the_cadence_compliance_at_now() -> None:
    rows = [row(1, intervals=(4, 3), due=at(10)), row(2, status="closed", intervals=(1, 1))]

    assert compute_metrics(rows, now=at(5)).update_cadence == CadenceCompliance(6, 5)
    assert compute_metrics(rows, now=at(15)).update_cadence == CadenceCompliance(6, 4)
