"""The process's rules, each one pure function, and every part of the system that applies it.

Each rule is tested on its own, then against each place that used to have its own copy: the
aggregate, the incidents read model, the webhook facts, the notifier and the post-mortem.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.incident_api.postmortem import review_figures
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.events import IncidentEvent
from shared.domain.incident import Incident
from shared.domain.rules import (
    acting_commander,
    customer_update_due,
    next_reminder_due,
    not_an_incident,
    peak_severity,
    postmortem_required,
    restarts_cadence,
    review_pending,
    severity_rank,
)
from shared.domain.values import SYSTEM_ACTOR
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from shared.webhooks.facts import IncidentFacts, facts_after
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, declare

CADENCE = parse_cadence(DEFAULT_UPDATE_CADENCE)  # P1 30m, P2 60m, P3 4h, P4 24h
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def every_kind_of_event() -> list[IncidentEvent]:
    """One or more events of every type, as one incident records them."""
    incident = declare()
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.assign_role(BOB, role="communications_lead", assignee="carol", note=None)
    incident.post_update(DAVE, audience="internal", body="looking")
    incident.record_update_overdue(
        SYSTEM_ACTOR, due_at=incident.customer_contact_at + timedelta(hours=1)
    )
    incident.post_update(CAROL, audience="customer", body="we are on it")
    incident.change_severity(BOB, severity="P1", reason="spreading")
    incident.assess_impact(BOB, impact="checkout fails", scope="EU")
    incident.link_ticket(DAVE, system="jira", key="OPS-1", url=None)
    incident.escalate(BOB, target="db-team", reason="replica lag")
    incident.resolve(BOB, resolution="restored", summary="rolled back")
    incident.reopen(BOB, reason="errors are back")
    incident.resolve(BOB, resolution="workaround", summary="flag off")
    incident.close(BOB)
    incident.start_postmortem(BOB, facilitator="dave")
    incident.record_root_cause(DAVE, text="a config push")
    incident.add_contributing_factor(DAVE, text="no canary", category="change")
    incident.add_recommendation(DAVE, text="canary every push")
    follow_up = incident.add_follow_up(
        DAVE, title="add a canary", owner="erin", due_date="2026-12-31", ticket=None
    )
    incident.reassign_follow_up(DAVE, follow_up_id=follow_up, owner="frank")
    incident.change_follow_up_due_date(
        DAVE, follow_up_id=follow_up, due_date="2027-01-31", reason="holidays"
    )
    incident.complete_follow_up(DAVE, follow_up_id=follow_up, note=None)
    incident.publish_postmortem(DAVE, no_follow_up_reason=None)
    return incident.collect_events()


# --- the acting Incident Commander ---------------------------------------------------------


def test_the_owner_acts_as_commander_until_one_is_named() -> None:
    assert acting_commander({}, "alice") == "alice"
    assert acting_commander({"communications_lead": "carol"}, "alice") == "alice"
    assert acting_commander({"incident_commander": "bob"}, "alice") == "bob"


# --- what restarts the customer-update cadence ------------------------------------------


def test_only_a_customer_update_or_a_reopen_restarts_the_cadence() -> None:
    restarting = [
        (type(e).__name__, getattr(e, "audience", None))
        for e in every_kind_of_event()
        if restarts_cadence(e)
    ]
    assert restarting == [("UpdatePosted", "customer"), ("Reopened", None)]


def test_every_follower_restarts_the_cadence_where_the_aggregate_does() -> None:
    incident = declare()
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.reopen(ALICE, reason="errors are back")
    incident.post_update(ALICE, audience="internal", body="looking again")
    incident.post_update(ALICE, audience="customer", body="still on it")
    events = incident.collect_events()

    row: IncidentRow | None = None
    facts: IncidentFacts | None = None
    restarts = []
    for position, event in enumerate(events, start=1):
        recorded = RecordedEvent(position=position, event=event)
        row = project(row, recorded, CADENCE)
        facts = facts_after(facts, recorded)
        restarts.append((row.cadence_started_at, facts.customer_contact_at))
    declared, _, reopened, _, customer_update = (e.timestamp for e in events)
    assert restarts == [
        (declared, declared),
        (declared, declared),
        (reopened, reopened),
        (reopened, reopened),
        (customer_update, customer_update),
    ]
    assert incident.customer_contact_at == customer_update


# --- when the next customer update is due ------------------------------------------------


def test_the_next_update_is_due_one_interval_of_the_severity_after_the_cadence_started() -> None:
    for severity, minutes in [("P1", 30), ("P2", 60), ("P3", 240), ("P4", 1440)]:
        due = customer_update_due(status="open", severity=severity, since=T0, cadence=CADENCE)
        assert due == T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("status", "severity", "since"),
    [("resolved", "P1", T0), ("closed", "P1", T0), ("open", None, T0), ("open", "P1", None)],
)
def test_no_update_is_due_unless_open_classified_and_started(
    status: str, severity: str | None, since: datetime | None
) -> None:
    assert (
        customer_update_due(status=status, severity=severity, since=since, cadence=CADENCE) is None
    )


def test_each_recorded_reminder_moves_the_due_time_one_interval_on() -> None:
    due = customer_update_due(status="open", severity="P2", since=T0, cadence=CADENCE, reminders=2)
    assert due == T0 + timedelta(hours=3)


def test_after_a_raised_severity_the_next_reminder_is_one_full_interval_after_the_last() -> None:
    last = T0 + timedelta(hours=1)  # a P2 reminder; now P1, whose 2nd interval ended at T0+60m
    due = customer_update_due(
        status="open",
        severity="P1",
        since=T0,
        cadence=CADENCE,
        reminders=1,
        last_reminder_due_at=last,
    )
    assert due == last + timedelta(minutes=30)


def test_the_notifier_and_the_read_model_agree_on_when_an_update_is_due() -> None:
    incident = declare(severity="P1")
    row = project(None, RecordedEvent(position=1, event=incident.collect_events()[0]), CADENCE)

    assert row.next_customer_update_due == next_reminder_due(incident, CADENCE)
    assert row.next_customer_update_due == incident.created_on + timedelta(minutes=30)


# --- which incidents need a review ------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "required"), [("P1", True), ("P2", True), ("P3", False), ("P4", False)]
)
def test_p1_and_p2_need_a_review(severity: str, required: bool) -> None:
    assert postmortem_required(severity, None) is required
    assert postmortem_required(severity, "restored") is required
    assert declare(severity=severity).postmortem_required is required


def test_an_unclassified_incident_needs_no_review() -> None:
    assert postmortem_required(None, None) is False


@pytest.mark.parametrize("resolution", ["false_alarm", "duplicate"])
def test_a_false_alarm_or_a_duplicate_needs_no_review(resolution: str) -> None:
    assert not_an_incident(resolution) is True
    assert postmortem_required("P1", resolution) is False
    assert review_pending("P1", resolution, "none") is False


@pytest.mark.parametrize("resolution", [None, "restored", "workaround", "mitigated"])
def test_other_resolutions_are_incidents(resolution: str | None) -> None:
    assert not_an_incident(resolution) is False


@pytest.mark.parametrize(
    ("severity", "status", "pending"),
    [
        ("P1", "none", True),
        ("P2", "started", True),
        ("P2", "published", False),
        ("P3", "none", False),
        (None, "none", False),
    ],
)
def test_a_required_review_is_pending_until_published(
    severity: str | None, status: str, pending: bool
) -> None:
    assert review_pending(severity, None, status) is pending


def test_the_aggregate_and_the_read_model_agree_on_reviews() -> None:
    incident: Incident = declare(severity="P3")
    incident.change_severity(ALICE, severity="P1", reason="spreading")
    row = None
    for position, event in enumerate(incident.collect_events(), start=1):
        row = project(row, RecordedEvent(position=position, event=event), CADENCE)
    assert row is not None
    assert (row.postmortem_required, row.review_pending) == (True, True)
    assert (incident.postmortem_required, incident.review_pending) == (True, True)


# --- the peak severity ---------------------------------------------------------------------


def test_severities_rank_p1_first_and_unclassified_last() -> None:
    ranked = sorted(["P3", None, "P1", "P4", "P2"], key=severity_rank)
    assert ranked == ["P1", "P2", "P3", "P4", None]


@pytest.mark.parametrize(
    ("peak", "severity", "after"),
    [(None, "P3", "P3"), ("P3", "P1", "P1"), ("P1", "P3", "P1"), ("P2", "P2", "P2")],
)
def test_the_peak_is_the_highest_severity_ever_set(
    peak: str | None, severity: str, after: str
) -> None:
    assert peak_severity(peak, severity) == after


def test_a_p1_downgraded_to_p3_before_closing_still_needs_a_review() -> None:
    incident: Incident = declare(severity="P1")
    incident.change_severity(ALICE, severity="P3", reason="only one region after all")
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.close(ALICE)
    row = None
    for position, event in enumerate(incident.collect_events(), start=1):
        row = project(row, RecordedEvent(position=position, event=event), CADENCE)
    assert row is not None
    assert (incident.severity, incident.peak_severity) == ("P3", "P1")
    assert (row.severity, row.peak_severity) == ("P3", "P1")
    assert (incident.postmortem_required, incident.review_pending) == (True, True)
    assert (row.postmortem_required, row.review_pending) == (True, True)


def test_an_incident_raised_from_unclassified_peaks_at_its_first_severity() -> None:
    incident: Incident = declare(severity=None)
    assert incident.peak_severity is None
    incident.change_severity(ALICE, severity="P4", reason="minor")
    assert incident.peak_severity == "P4"
    assert incident.postmortem_required is False


def test_the_post_mortem_measures_customer_gaps_from_each_restart_while_open() -> None:
    incident = declare()
    incident.post_update(ALICE, audience="customer", body="on it")
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.post_update(ALICE, audience="customer", body="resolved")  # not open: no gap
    incident.reopen(ALICE, reason="errors are back")
    incident.resolve(ALICE, resolution="workaround", summary="flag off")
    events = incident.collect_events()
    declared, update, resolved, _, reopened, resolved_again = (e.timestamp for e in events)

    figures = review_figures([RecordedEvent(position=n, event=e) for n, e in enumerate(events)])

    assert figures.customer_updates == 2
    assert figures.longest_customer_gap == max(
        update - declared, resolved - update, resolved_again - reopened
    )
