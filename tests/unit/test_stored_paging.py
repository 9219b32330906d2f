"""The paging events as this version stores them (tests/fixtures/stored_events_paging.json):
an incident of the checkout service paged bob at level 1, escalated to carol at level 2, paged
bob again in the policy's second round, ran out, and bob acknowledged late. They load, encode
back byte for byte, and fold the same in the aggregate, the read model, the timeline and the
webhook facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.timeline import timeline_entry
from shared.webhooks.facts import IncidentFacts, facts_after
from tests.stored_fixtures import recorded_events, stored_events


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_paging.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=801)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    topics = {s.topic.removeprefix("irm:Incident.") for s in stored}
    assert {"Paged", "PageEscalated", "PagingExhausted", "Acknowledged"} <= topics
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_late_acknowledgement_makes_bob_the_owner(recorded: list[RecordedEvent]) -> None:
    incident: Incident | None = None
    row: IncidentRow | None = None
    facts: IncidentFacts | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
        facts = facts_after(facts, r)
    assert incident is not None
    assert row is not None
    assert facts is not None

    assert incident.paged == ["bob", "carol"]
    assert (incident.page_round, incident.page_level, incident.paging_exhausted) == (2, 1, True)
    assert (incident.acknowledged_by, incident.owner, incident.acting_commander) == (
        "bob",
        "bob",
        "bob",
    )
    assert (row.owner, row.acting_commander) == ("bob", "bob")
    assert row.paged_at == datetime(2026, 12, 1, 3, 12, 1, tzinfo=UTC)
    assert row.acknowledged_at == datetime(2026, 12, 1, 3, 33, tzinfo=UTC)
    assert (facts.status, facts.version) == ("open", 8)


def test_the_timeline_tells_each_step(recorded: list[RecordedEvent]) -> None:
    summaries = [timeline_entry(r).summary for r in recorded[1:]]

    assert summaries == [
        "paged bob (level 1, round 1): declared with service checkout (policy payments)",
        "page escalated from level 1 to level 2: level 1 not acknowledged within 300 s",
        "paged carol (level 2, round 1): level 1 not acknowledged within 300 s",
        "page escalated from level 2 to level 1: level 2 not acknowledged within 600 s",
        "paged bob (level 1, round 2): level 2 not acknowledged within 600 s",
        "paging stopped after 2 rounds: nobody acknowledged (policy payments)",
        "bob acknowledged the page (level 1), taking ownership from alice",
    ]
