"""`AlertAttached`, `AlertResolved` and `AlertsAllResolved` as this version stores them
(tests/fixtures/stored_events_alerts.json): they load, encode back byte for byte, and fold the
same way in the aggregate, the read models, the timeline and the webhook facts."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import StoredEvent

from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.follow_ups import follow_up_id_of
from shared.readmodels.incidents import IncidentRow, project
from shared.readmodels.timeline import timeline_entry
from shared.webhooks.facts import IncidentFacts, facts_after
from shared.webhooks.message import build_body
from tests.stored_fixtures import recorded_events, stored_events


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_alerts.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=601)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    assert [s.topic for s in stored] == [
        "irm:Incident.Declared",
        "irm:Incident.AlertAttached",
        "irm:Incident.AlertResolved",
        "irm:Incident.AlertsAllResolved",
    ]
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_aggregate_knows_the_alert_resolved_and_the_ic_was_prompted(
    recorded: list[RecordedEvent],
) -> None:
    incident: Incident | None = None
    for r in recorded:
        incident = r.event.mutate(incident)
    assert incident is not None
    assert incident.alerts == {"2f6b3c8a1e0d9f47": "resolved"}
    assert incident.alerts_all_resolved
    assert incident.status == "open"


def test_the_read_models_and_the_facts_stay_as_declared(recorded: list[RecordedEvent]) -> None:
    row: IncidentRow | None = None
    facts: IncidentFacts | None = None
    for r in recorded:
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
        facts = facts_after(facts, r)
        assert follow_up_id_of(r) is None
        build_body(r, facts)
    assert row is not None
    assert facts is not None
    assert (row.status, row.severity, row.services) == ("open", "P1", ["checkout"])
    assert (facts.status, facts.version) == ("open", 4)


def test_the_timeline_tells_the_alerts(recorded: list[RecordedEvent]) -> None:
    assert [timeline_entry(r).summary for r in recorded[1:]] == [
        "alert CheckoutHighErrorRate firing (2f6b3c8a): Checkout error rate above 5%",
        "alert CheckoutHighErrorRate resolved (2f6b3c8a)",
        "the alert of this incident resolved; the IC decides whether to resolve it",
    ]
