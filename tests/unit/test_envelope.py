"""What every event carries besides its own facts: who, when, which incident, which version."""

from __future__ import annotations

from shared.domain.events import event_actor, event_name
from tests.unit.conftest import names, whole_story

EVERY_EVENT_TYPE = {
    "Declared",
    "RoleAssigned",
    "SeverityChanged",
    "ImpactAssessed",
    "TicketLinked",
    "UpdatePosted",
    "Escalated",
    "Resolved",
    "Reopened",
    "Closed",
}


def test_the_story_covers_every_event_type() -> None:
    assert set(names(whole_story().collect_events())) == EVERY_EVENT_TYPE


def test_every_event_records_the_principal_who_caused_it() -> None:
    events = whole_story().collect_events()

    assert [(event_name(e), event_actor(e)) for e in events] == [
        ("Declared", "alice"),
        ("RoleAssigned", "alice"),
        ("RoleAssigned", "bob"),
        ("SeverityChanged", "bob"),
        ("ImpactAssessed", "bob"),
        ("TicketLinked", "dave"),
        ("UpdatePosted", "carol"),
        ("Escalated", "root"),
        ("Resolved", "bob"),
        ("Reopened", "bob"),
        ("Resolved", "bob"),
        ("Closed", "bob"),
    ]


def test_every_event_has_an_aware_timestamp_in_recording_order() -> None:
    events = whole_story().collect_events()

    assert all(e.timestamp.utcoffset() is not None for e in events)
    stamps = [e.timestamp for e in events]
    assert stamps == sorted(stamps)


def test_events_are_numbered_one_by_one_within_their_incident() -> None:
    incident = whole_story()
    events = incident.collect_events()

    assert {e.originator_id for e in events} == {incident.id}
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    assert incident.version == len(events)
    assert incident.modified_on == events[-1].timestamp


def test_collected_events_are_handed_out_once() -> None:
    incident = whole_story()
    incident.collect_events()

    assert incident.collect_events() == []
