"""Stored events and snapshots: their stable topics and a faithful round trip."""

from __future__ import annotations

import json

from shared.domain.events import event_name
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from tests.unit.conftest import (
    ALICE,
    BOB,
    declare,
    decode_event,
    names,
    restore_snapshot,
    whole_story,
)

# The stored names are a contract with every database already written: never change these.
STORED_TOPICS = {
    "Declared": "irm:Incident.Declared",
    "RoleAssigned": "irm:Incident.RoleAssigned",
    "SeverityChanged": "irm:Incident.SeverityChanged",
    "ImpactAssessed": "irm:Incident.ImpactAssessed",
    "TicketLinked": "irm:Incident.TicketLinked",
    "UpdatePosted": "irm:Incident.UpdatePosted",
    "Escalated": "irm:Incident.Escalated",
    "Resolved": "irm:Incident.Resolved",
    "Reopened": "irm:Incident.Reopened",
    "Closed": "irm:Incident.Closed",
}


def test_every_event_is_stored_under_its_explicit_stable_topic() -> None:
    mapper = build_mapper()
    events = whole_story().collect_events()

    stored = [mapper.to_stored_event(e) for e in events]

    assert [s.topic for s in stored] == [STORED_TOPICS[name] for name in names(events)]
    assert {s.topic for s in stored} == set(STORED_TOPICS.values())


def test_the_stored_state_names_the_aggregate_by_its_stable_topic_too() -> None:
    declared = build_mapper().to_stored_event(whole_story().collect_events()[0])

    state = json.loads(declared.state)
    assert state["originator_topic"] == "irm:Incident"
    assert "shared.domain" not in declared.state.decode()


def test_stored_events_come_back_equal() -> None:
    mapper = build_mapper()
    events = whole_story().collect_events()

    restored = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert restored == events
    assert [event_name(e) for e in restored] == names(events)


def test_replaying_stored_events_rebuilds_an_equal_incident() -> None:
    mapper = build_mapper()
    incident = whole_story()
    stored = [mapper.to_stored_event(e) for e in incident.collect_events()]

    replayed: Incident | None = None
    for s in stored:
        replayed = decode_event(mapper, s).mutate(replayed)

    assert isinstance(replayed, Incident)
    assert replayed == incident
    assert (replayed.status, replayed.severity, replayed.acting_commander) == (
        "closed",
        "P1",
        "bob",
    )
    assert replayed.closed_at is not None
    assert replayed.closed_at.utcoffset() is not None


def test_a_snapshot_is_stored_under_its_stable_topic_and_restores_the_incident() -> None:
    mapper = build_mapper()
    incident = whole_story()
    incident.collect_events()

    stored = mapper.to_stored_event(Incident.Snapshot.take(incident))
    snapshot = mapper.to_domain_event(stored)

    assert stored.topic == "irm:Incident.Snapshot"
    assert event_name(snapshot) == "Snapshot"
    assert isinstance(snapshot, Incident.Snapshot)
    assert json.loads(stored.state)["topic"] == "irm:Incident"
    assert stored.originator_version == incident.version
    assert snapshot.mutate(None) == incident


def test_events_after_a_snapshot_replay_onto_it() -> None:
    mapper = build_mapper()
    incident = declare()
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.collect_events()
    snapshot = mapper.to_stored_event(Incident.Snapshot.take(incident))
    incident.change_severity(BOB, severity="P1", reason="spreading")
    incident.resolve(BOB, resolution="mitigated", summary="traffic shifted")
    later = [mapper.to_stored_event(e) for e in incident.collect_events()]

    replayed: Incident | None = restore_snapshot(mapper, snapshot)
    for s in later:
        replayed = decode_event(mapper, s).mutate(replayed)

    assert replayed == incident
    assert isinstance(replayed, Incident)
    assert (replayed.version, replayed.status, replayed.severity) == (4, "resolved", "P1")
