"""The timeline: one row per event, with a one-line summary a person can read."""

from __future__ import annotations

import uuid

import pytest

from shared.domain.events import event_name
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.readmodels.timeline import SUMMARY_MAX_CHARS, TimelineEntry, timeline_entry
from tests.unit.conftest import ALICE, BOB, CAROL, DAVE, ROOT, declare, whole_story
from tests.unit.readmodels.conftest import Log, at

ERIN = Actor("erin")


@pytest.fixture
def log() -> Log:
    """An empty log."""
    return Log()


@pytest.fixture
def incident(log: Log) -> Incident:
    """INC-7, declared by alice at T0 and logged; she owns it and acts as IC."""
    declared = declare()
    log.record(declared, at(0))
    return declared


def summary_of(log: Log, incident: Incident, minute: float = 1) -> str:
    """The summary of the incident's one pending event, logged at `minute`."""
    return timeline_entry(log.last(incident, at(minute))).summary


def test_a_timeline_entry_carries_the_event_as_recorded(log: Log, incident: Incident) -> None:
    incident.link_ticket(DAVE, system="jira", key="OPS-1234", url=None)
    recorded = log.last(incident, at(3))

    assert timeline_entry(recorded) == TimelineEntry(
        incident_id=incident.id,
        version=2,
        position=recorded.position,
        occurred_at=at(3),
        actor="dave",
        type="TicketLinked",
        summary="dave linked ticket jira OPS-1234",
        data={"system": "jira", "key": "OPS-1234", "url": None},
    )


def test_declared(log: Log) -> None:
    incident = declare(severity="P1")
    assert summary_of(log, incident, 0) == "alice declared INC-7 P1: Checkout returns 500s"


def test_declared_unclassified_for_another_owner(log: Log) -> None:
    incident = declare(severity=None, owner="bob")
    assert summary_of(log, incident, 0) == (
        "alice declared INC-7: Checkout returns 500s, owner bob"
    )


def test_role_assigned_with_a_note(log: Log, incident: Incident) -> None:
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="on shift")
    assert summary_of(log, incident) == "alice assigned incident_commander to bob: on shift"


def test_role_assigned_without_a_note(log: Log, incident: Incident) -> None:
    incident.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)
    assert summary_of(log, incident) == "alice assigned communications_lead to carol"


def test_a_handover_names_the_outgoing_and_incoming_holder(log: Log, incident: Incident) -> None:
    incident.assign_role(ALICE, role="operations_lead", assignee="bob", note=None)
    log.record(incident, at(1))
    incident.assign_role(ALICE, role="operations_lead", assignee="carol", note="end of shift")

    assert summary_of(log, incident, 2) == (
        "alice handed operations_lead from bob to carol: end of shift"
    )


def test_the_incident_commander_hands_over_command(log: Log, incident: Incident) -> None:
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    log.record(incident, at(1))
    incident.assign_role(BOB, role="incident_commander", assignee="carol", note="end of shift")

    assert summary_of(log, incident, 2) == (
        "bob handed incident_commander from bob to carol: end of shift"
    )


def test_break_glass_says_an_admin_acted_as_ic(log: Log, incident: Incident) -> None:
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    log.record(incident, at(1))
    incident.assign_role(ROOT, role="incident_commander", assignee="carol", note="bob is out")

    assert summary_of(log, incident, 2) == (
        "root handed incident_commander from bob to carol: bob is out (admin, acting as IC)"
    )


def test_severity_changed(log: Log, incident: Incident) -> None:
    incident.change_severity(ALICE, severity="P1", reason="all EU customers affected")
    assert summary_of(log, incident) == "alice changed severity P2 → P1: all EU customers affected"


def test_severity_set_on_an_unclassified_incident(log: Log) -> None:
    incident = declare(severity=None)
    log.record(incident, at(0))
    incident.change_severity(ALICE, severity="P3", reason="one tenant")

    assert summary_of(log, incident) == "alice changed severity unclassified → P3: one tenant"


def test_impact_assessed(log: Log, incident: Incident) -> None:
    incident.assess_impact(ALICE, impact="Card payments fail", scope="EU tenants")
    assert summary_of(log, incident) == (
        "alice assessed impact: Card payments fail; scope: EU tenants"
    )


def test_ticket_linked(log: Log, incident: Incident) -> None:
    incident.link_ticket(DAVE, system="zendesk", key="98765", url="https://z.example/98765")
    assert summary_of(log, incident) == "dave linked ticket zendesk 98765"


def test_internal_update(log: Log, incident: Incident) -> None:
    incident.post_update(ERIN, audience="internal", body="Rolling back 14:05 deploy")
    assert summary_of(log, incident) == "erin posted an internal update: Rolling back 14:05 deploy"


def test_customer_update_by_the_communications_lead(log: Log, incident: Incident) -> None:
    incident.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)
    log.record(incident, at(1))
    incident.post_update(CAROL, audience="customer", body="We are investigating")

    assert summary_of(log, incident, 2) == "carol posted a customer update: We are investigating"


def test_escalated(log: Log, incident: Incident) -> None:
    incident.escalate(ALICE, target="database-team", reason="primary is not failing over")
    assert summary_of(log, incident) == (
        "alice escalated to database-team: primary is not failing over"
    )


def test_resolved(log: Log, incident: Incident) -> None:
    incident.resolve(ALICE, resolution="workaround", summary="Feature flag off")
    assert summary_of(log, incident) == "alice resolved (workaround): Feature flag off"


def test_resolved_as_a_duplicate(log: Log, incident: Incident) -> None:
    incident.resolve(
        ALICE,
        resolution="duplicate",
        summary="Same outage",
        duplicate_of=uuid.uuid4(),
        duplicate_of_reference="INC-3",
    )
    assert summary_of(log, incident) == "alice resolved (duplicate of INC-3): Same outage"


def test_closed(log: Log, incident: Incident) -> None:
    incident.resolve(ALICE, resolution="restored", summary="Rolled back")
    log.record(incident, at(1))
    incident.close(ALICE)

    assert summary_of(log, incident, 2) == (
        "alice confirmed the resolution and closed the incident"
    )


def test_reopened(log: Log, incident: Incident) -> None:
    incident.resolve(ALICE, resolution="restored", summary="Rolled back")
    log.record(incident, at(1))
    incident.reopen(ALICE, reason="Errors are back")

    assert summary_of(log, incident, 2) == "alice reopened the incident: Errors are back"


def test_break_glass_suffix_on_a_close(log: Log, incident: Incident) -> None:
    incident.resolve(ALICE, resolution="restored", summary="Rolled back")
    log.record(incident, at(1))
    incident.close(ROOT)

    assert summary_of(log, incident, 2) == (
        "root confirmed the resolution and closed the incident (admin, acting as IC)"
    )


def test_a_long_body_is_clipped_to_one_short_line(log: Log, incident: Incident) -> None:
    body = "x" * 500
    incident.post_update(ALICE, audience="internal", body=body)

    summary = summary_of(log, incident)
    prefix = "alice posted an internal update: "
    assert summary == prefix + "x" * (SUMMARY_MAX_CHARS - 1) + "…"
    assert len(summary) == len(prefix) + SUMMARY_MAX_CHARS


def test_a_body_of_exactly_the_limit_is_not_clipped(log: Log, incident: Incident) -> None:
    body = "y" * SUMMARY_MAX_CHARS
    incident.post_update(ALICE, audience="internal", body=body)

    assert summary_of(log, incident) == "alice posted an internal update: " + body


def test_a_multi_line_body_shows_its_first_line(log: Log, incident: Incident) -> None:
    body = "Error rate back to normal.\nRoot cause: bad config.\n\nMore later."
    incident.post_update(ALICE, audience="internal", body=body)

    assert summary_of(log, incident) == (
        "alice posted an internal update: Error rate back to normal.…"
    )


def test_a_long_first_line_is_clipped_at_a_word_end_without_trailing_space(
    log: Log, incident: Incident
) -> None:
    reason = "a" * (SUMMARY_MAX_CHARS - 2) + " " + "b" * 50
    incident.escalate(ALICE, target="network", reason=reason)

    summary = summary_of(log, incident)
    assert summary == "alice escalated to network: " + "a" * (SUMMARY_MAX_CHARS - 2) + "…"


def test_long_title_and_handover_note_are_clipped_too(log: Log) -> None:
    incident = declare(title="T" * 200)
    title_summary = summary_of(log, incident, 0)
    incident.assign_role(
        ALICE, role="incident_commander", assignee="bob", note="line one\nline two"
    )

    assert title_summary == "alice declared INC-7 P2: " + "T" * (SUMMARY_MAX_CHARS - 1) + "…"
    assert summary_of(log, incident) == "alice assigned incident_commander to bob: line one…"


def test_every_event_of_a_whole_story_gets_its_own_one_line_entry_in_order() -> None:
    log = Log()
    log.record(whole_story(), at(0))

    entries = [timeline_entry(r) for r in log.events]

    assert [e.type for e in entries] == [event_name(r.event) for r in log.events]
    assert [e.version for e in entries] == list(range(1, len(log.events) + 1))
    assert [e.position for e in entries] == [r.position for r in log.events]
    assert all(e.summary and "\n" not in e.summary for e in entries)


def test_corrections_of_the_review_read_as_what_changed_and_why(
    log: Log, incident: Incident
) -> None:
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.start_postmortem(ALICE, facilitator="carol")
    incident.add_contributing_factor(CAROL, text="no canary", category="change")
    incident.add_recommendation(CAROL, text="canary config pushes")
    follow_up_id = incident.add_follow_up(
        CAROL, title="Add a config canary", owner="erin", due_date="2026-04-01", ticket=None
    )
    incident.record_root_cause(CAROL, text="pool exhausted")
    incident.publish_postmortem(CAROL, no_follow_up_reason=None)
    log.record(incident, at(10))

    incident.amend_postmortem(CAROL, reason="root cause was wrong")
    assert summary_of(log, incident, 11) == (
        "carol amended the published post-incident review: root cause was wrong"
    )
    incident.edit_contributing_factor(CAROL, factor_id="1", category="process")
    assert summary_of(log, incident, 12) == (
        "carol corrected contributing factor 1 (process): no canary"
    )
    incident.withdraw_recommendation(CAROL, recommendation_id="1", reason="covered by OPS-12")
    assert summary_of(log, incident, 13) == (
        "carol withdrew recommendation 1: canary config pushes: covered by OPS-12"
    )
    incident.cancel_follow_up(CAROL, follow_up_id=follow_up_id, reason="replaced")
    assert summary_of(log, incident, 14) == (
        f"carol cancelled follow-up {follow_up_id[:8]}: replaced"
    )
