"""The incidents read model: what each event does to an incident's row."""

from __future__ import annotations

import copy
import dataclasses
from uuid import UUID

import pytest

from shared.domain.incident import Incident
from shared.readmodels.incidents import (
    IncidentRow,
    ProjectionError,
    WorkingRow,
    fold_event,
    project,
    working_row,
)
from tests.unit.conftest import ALICE, BOB, CAROL, ROOT, declare
from tests.unit.readmodels.conftest import CADENCE, Log, at, fold
from tests.unit.review_story import fully_reviewed


@pytest.fixture
def log() -> Log:
    """An empty log."""
    return Log()


def declared(log: Log, *, owner: str | None = None, severity: str | None = "P2") -> Incident:
    """A checkout incident (P2 unless told) declared by alice at T0 and logged."""
    incident = declare(owner=owner, severity=severity)
    log.record(incident, at(0))
    return incident


def test_declared_starts_a_row_with_everything_a_dashboard_lists(log: Log) -> None:
    incident = declare(description="Since the 14:05 deploy", services=["checkout", "payments"])
    (recorded,) = log.record(incident, at(0))

    assert log.row(incident) == IncidentRow(
        id=incident.id,
        number=7,
        title="Checkout returns 500s",
        description="Since the 14:05 deploy",
        status="open",
        severity="P2",
        criteria=["customer_sla_at_risk"],
        services=["checkout", "payments"],
        owner="alice",
        declared_by="alice",
        declared_at=at(0),
        updated_at=at(0),
        version=1,
        position=recorded.position,
        cadence_started_at=at(0),
        next_customer_update_due=at(60),  # P2: a customer update within the hour
        postmortem_required=True,  # P2 is significant: a review is required
        review_pending=True,
        peak_severity="P2",
    )
    assert log.row(incident).reference == "INC-7"
    assert log.row(incident).acting_commander == "alice"


def test_declared_for_someone_else_names_both_declarer_and_owner(log: Log) -> None:
    incident = declared(log, owner="bob")

    row = log.row(incident)
    assert (row.declared_by, row.owner, row.acting_commander) == ("alice", "bob", "bob")


def test_an_unclassified_incident_has_no_customer_update_due(log: Log) -> None:
    incident = declared(log, severity=None)

    row = log.row(incident)
    assert row.severity is None
    assert row.next_customer_update_due is None


def test_an_event_before_its_declared_cannot_be_projected(log: Log) -> None:
    incident = declared(log)
    incident.post_update(ALICE, audience="internal", body="looking")
    update = log.last(incident, at(1))

    with pytest.raises(ProjectionError, match="before Declared"):
        project(None, update, CADENCE)


def test_every_event_moves_version_position_and_updated_at(log: Log) -> None:
    incident = declared(log)
    incident.escalate(ALICE, target="database-team", reason="replica lag")
    escalated = log.last(incident, at(7))

    row = log.row(incident)
    assert (row.version, row.position, row.updated_at) == (2, escalated.position, at(7))
    # Escalated changes nothing else a dashboard lists.
    before = fold(log.events[:1])[incident.id]
    assert row == dataclasses.replace(
        before, version=2, position=escalated.position, updated_at=at(7)
    )


def test_the_first_incident_commander_sets_the_time_to_acknowledge(log: Log) -> None:
    incident = declared(log)
    incident.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)
    log.record(incident, at(2))
    assert log.row(incident).ic_assigned_at is None  # another role is not an acknowledgement

    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="on shift")
    log.record(incident, at(4))
    incident.assign_role(BOB, role="incident_commander", assignee="dave", note="end of shift")
    log.record(incident, at(90))

    row = log.row(incident)
    assert row.roles == {"communications_lead": "carol", "incident_commander": "dave"}
    assert row.ic_assigned_at == at(4)  # the handover does not move it
    assert row.acting_commander == "dave"


def test_a_severity_change_moves_the_customer_update_due_time(log: Log) -> None:
    incident = declared(log)
    incident.change_severity(ALICE, severity="P1", reason="all EU customers")
    log.record(incident, at(10))

    row = log.row(incident)
    assert row.severity == "P1"
    # The interval still runs from the declaration; P1 allows 30 minutes.
    assert row.next_customer_update_due == at(30)


def test_classifying_an_unclassified_incident_starts_its_cadence_at_the_classification(
    log: Log,
) -> None:
    incident = declared(log, severity=None)
    incident.change_severity(ALICE, severity="P3", reason="one tenant")
    log.record(incident, at(20))
    incident.change_severity(ALICE, severity="P2", reason="more tenants")
    log.record(incident, at(50))

    row = log.row(incident)
    assert row.cadence_started_at == at(20), "the first classification, not the declaration"
    assert row.next_customer_update_due == at(20 + 60), "a reclassification does not restart it"


def test_impact_assessed_records_impact_and_scope(log: Log) -> None:
    incident = declared(log)
    incident.assess_impact(ALICE, impact="Card payments fail", scope="EU tenants")
    log.record(incident, at(3))

    row = log.row(incident)
    assert (row.impact, row.scope) == ("Card payments fail", "EU tenants")


def test_tickets_are_listed_in_the_order_they_were_linked(log: Log) -> None:
    incident = declared(log)
    incident.link_ticket(ALICE, system="jira", key="OPS-1", url="https://jira.example/OPS-1")
    log.record(incident, at(1))
    incident.link_ticket(ALICE, system="zendesk", key="42", url=None)
    log.record(incident, at(2))

    assert log.row(incident).tickets == [
        {"system": "jira", "key": "OPS-1", "url": "https://jira.example/OPS-1"},
        {"system": "zendesk", "key": "42", "url": None},
    ]


def test_an_internal_update_is_not_a_customer_update(log: Log) -> None:
    incident = declared(log)
    incident.post_update(ALICE, audience="internal", body="rolling back")
    log.record(incident, at(5))

    row = log.row(incident)
    assert row.last_customer_update_at is None
    assert row.cadence_started_at == at(0)
    assert row.next_customer_update_due == at(60)
    assert row.customer_update_intervals == 0


def test_a_customer_update_closes_an_interval_and_starts_the_next(log: Log) -> None:
    incident = declared(log)
    incident.post_update(ALICE, audience="customer", body="We are investigating")
    log.record(incident, at(45))

    row = log.row(incident)
    assert row.last_customer_update_at == at(45)
    assert row.cadence_started_at == at(45)
    assert row.next_customer_update_due == at(105)
    assert (row.customer_update_intervals, row.customer_update_intervals_met) == (1, 1)


def test_customer_update_intervals_count_late_and_on_time_updates(log: Log) -> None:
    incident = declared(log)  # P2: 60 minutes
    for minute in (60, 130, 190, 250):  # on the dot, 10 late, on time, on the dot
        incident.post_update(ALICE, audience="customer", body=f"update at {minute}")
        log.record(incident, at(minute))

    row = log.row(incident)
    assert (row.customer_update_intervals, row.customer_update_intervals_met) == (4, 3)
    assert row.next_customer_update_due == at(310)


def test_customer_updates_count_only_while_open_and_classified(log: Log) -> None:
    incident = declared(log, severity=None)
    incident.post_update(ALICE, audience="customer", body="looking into it")
    log.record(incident, at(10))  # unclassified: no cadence to meet
    incident.change_severity(ALICE, severity="P1", reason="spreading")
    log.record(incident, at(12))
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    log.record(incident, at(20))
    incident.post_update(ALICE, audience="customer", body="all fixed")
    log.record(incident, at(25))  # resolved: nothing is due

    row = log.row(incident)
    assert (row.customer_update_intervals, row.customer_update_intervals_met) == (0, 0)
    assert row.last_customer_update_at == at(25)
    assert row.next_customer_update_due is None


def test_resolved_records_how_and_when_and_stops_the_cadence(log: Log) -> None:
    incident = declared(log)
    incident.resolve(ALICE, resolution="workaround", summary="feature flag off")
    log.record(incident, at(50))

    row = log.row(incident)
    assert (row.status, row.resolution, row.resolution_summary) == (
        "resolved",
        "workaround",
        "feature flag off",
    )
    assert row.resolved_at == at(50)
    assert row.next_customer_update_due is None


def test_closed_keeps_the_resolution_and_records_the_closing_time(log: Log) -> None:
    incident = declared(log)
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    log.record(incident, at(50))
    incident.close(ALICE)
    log.record(incident, at(70))

    row = log.row(incident)
    assert (row.status, row.closed_at, row.resolved_at) == ("closed", at(70), at(50))
    assert row.resolution == "restored"
    assert row.next_customer_update_due is None


def test_reopened_clears_the_resolution_counts_and_restarts_the_cadence(log: Log) -> None:
    incident = declared(log)
    incident.post_update(ALICE, audience="customer", body="investigating")
    log.record(incident, at(30))
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    log.record(incident, at(50))
    incident.reopen(ALICE, reason="errors are back")
    log.record(incident, at(200))

    row = log.row(incident)
    assert row.status == "open"
    assert (row.resolution, row.resolution_summary, row.resolved_at) == (None, None, None)
    assert row.reopen_count == 1
    # The cadence restarts at the reopen, not at the last customer update long before.
    assert row.cadence_started_at == at(200)
    assert row.next_customer_update_due == at(260)
    assert row.last_customer_update_at == at(30)


def test_each_reopen_counts_and_the_latest_resolution_wins(log: Log) -> None:
    incident = declared(log)
    for n in range(3):
        incident.resolve(ALICE, resolution="restored", summary=f"fix {n}")
        log.record(incident, at(10 + 20 * n))
        incident.reopen(ALICE, reason=f"not fixed {n}")
        log.record(incident, at(20 + 20 * n))
    incident.resolve(ALICE, resolution="mitigated", summary="rate limited")
    log.record(incident, at(90))

    row = log.row(incident)
    assert row.reopen_count == 3
    assert (row.resolved_at, row.resolution) == (at(90), "mitigated")


def test_break_glass_commands_project_like_any_other(log: Log) -> None:
    incident = declared(log)
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    log.record(incident, at(1))
    incident.assign_role(ROOT, role="incident_commander", assignee="carol", note="bob is out")
    log.record(incident, at(2))
    incident.post_update(CAROL, audience="customer", body="investigating")
    log.record(incident, at(3))

    row = log.row(incident)
    assert row.roles == {"incident_commander": "carol"}
    assert row.customer_update_intervals_met == 1


def test_the_projection_is_a_pure_fold_of_each_incidents_own_events(log: Log) -> None:
    first = declared(log)
    second = declare(number=8, title="Search is slow", severity="P4")
    log.record(second, at(1))
    first.resolve(ALICE, resolution="restored", summary="done")
    log.record(first, at(2))

    rows = log.rows()
    assert rows[second.id] == fold(e for e in log.events if e.originator_id == second.id)[second.id]
    assert rows[first.id].status == "resolved"
    assert rows[second.id].status == "open"


def test_a_replay_folding_rows_in_place_ends_where_projecting_each_event_does(log: Log) -> None:
    reviewed = fully_reviewed()  # every event type, reopened once, review published
    log.record(reviewed, at(0))
    other = declared(log)
    other.post_update(ALICE, audience="customer", body="investigating")
    log.record(other, at(45))
    other.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    log.record(other, at(50))

    working: dict[UUID, WorkingRow] = {}
    for recorded in log.events:
        incident_id = recorded.originator_id
        working[incident_id] = fold_event(working.get(incident_id), recorded, CADENCE)

    assert {i: IncidentRow(**row) for i, row in working.items()} == log.rows()


def test_folding_into_a_working_row_leaves_the_row_it_was_made_from_as_it_was(
    log: Log,
) -> None:
    incident = declared(log)
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.link_ticket(BOB, system="jira", key="OPS-1", url=None)
    incident.resolve(BOB, resolution="restored", summary="rolled back")
    incident.start_postmortem(BOB, facilitator="carol")
    incident.add_contributing_factor(BOB, text="no canary", category="change")
    log.record(incident, at(10))
    row = log.row(incident)
    as_it_was = copy.deepcopy(row)

    working = working_row(row)
    incident.add_contributing_factor(BOB, text="alerts fire late", category="detection")
    incident.link_ticket(BOB, system="jira", key="OPS-2", url=None)
    incident.reopen(BOB, reason="errors are back")
    incident.assign_role(BOB, role="communications_lead", assignee="carol", note=None)
    for recorded in log.record(incident, at(20)):
        working = fold_event(working, recorded, CADENCE)

    assert row == as_it_was
    assert IncidentRow(**working) == log.row(incident)
    assert len(working["tickets"]) == 2
    assert working["factor_categories"] == ["change", "detection"]
