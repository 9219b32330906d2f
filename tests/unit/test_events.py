"""The event types: one typed definition each, under its stable topic, and only they are read."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_args

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from shared.domain.events import (
    EVENT_TYPES,
    ChangeEvent,
    Declared,
    IncidentEvent,
    NotAnIncidentEventError,
    as_incident_event,
)
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from tests.unit.conftest import whole_story

DOMAIN = Path(__file__).resolve().parents[2] / "shared" / "domain"

ENVELOPE = ("originator_id", "originator_version", "timestamp")


def test_there_are_thirty_two_event_types_and_declared_starts_every_incident() -> None:
    assert len(EVENT_TYPES) == 40
    assert set(EVENT_TYPES) == set(get_args(IncidentEvent))
    assert set(get_args(ChangeEvent)) == set(EVENT_TYPES) - {Declared}


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_each_event_type_is_stored_under_its_own_name_and_read_back_as_itself(
    event_type: type[IncidentEvent],
) -> None:
    assert f"irm:Incident.{event_type.__name__}" == event_type.TOPIC
    assert get_topic(event_type) == event_type.TOPIC
    assert resolve_topic(event_type.TOPIC) is event_type


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_each_event_type_records_who_acted_last_but_break_glass(
    event_type: type[IncidentEvent],
) -> None:
    names = [f.name for f in dataclasses.fields(event_type)]
    assert names[:3] == list(ENVELOPE)
    # A field added to a stored event type goes after them, with a default (Declared's
    # started_at and detected_at): old payloads lack it.
    added_later = [
        f.name for f in dataclasses.fields(event_type) if f.default is not dataclasses.MISSING
    ]
    own = [n for n in names[3:] if n != "originator_topic" and n not in added_later]
    assert own[-1] == "actor" or own[-2:] == ["actor", "break_glass"]
    assert names[len(names) - len(added_later) :] == added_later


def test_the_aggregate_records_only_these_types_and_they_decode_to_them() -> None:
    mapper = build_mapper()
    events = whole_story().collect_events()

    decoded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

    assert all(type(e) in EVENT_TYPES for e in events)
    assert [type(e) for e in decoded] == [type(e) for e in events]
    assert [as_incident_event(e) for e in decoded] == events


def test_a_snapshot_is_refused_as_a_recorded_event() -> None:
    incident = whole_story()
    incident.collect_events()
    snapshot = Incident.Snapshot.take(incident)

    with pytest.raises(NotAnIncidentEventError, match=r"irm:Incident\.Snapshot .* not an incident"):
        RecordedEvent(position=1, event=snapshot)


def test_the_domain_modules_stay_small_and_fully_typed() -> None:
    for module in DOMAIN.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 400, module.name
        assert "type: ignore" not in text, module.name
