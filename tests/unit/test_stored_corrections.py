"""Issue 11's corrections of the review as this version stores them
(tests/fixtures/stored_events_corrections.json): a review published, amended, corrected and
published again. The events load, encode back byte for byte, and fold to the same findings in
the aggregate, the incidents read model, the follow-ups read model and the document."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from services.incident_api.postmortem import render_postmortem
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.follow_ups import FollowUpRow, follow_up_id_of, project_follow_up
from shared.readmodels.incidents import IncidentRow, project
from tests.stored_fixtures import recorded_events, stored_events


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_corrections.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=601)


@pytest.fixture(scope="module")
def incident(recorded: list[RecordedEvent]) -> Incident:
    aggregate: Incident | None = None
    for r in recorded:
        aggregate = r.event.mutate(aggregate)
    assert aggregate is not None
    return aggregate


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_aggregate_holds_the_corrected_findings(incident: Incident) -> None:
    review = incident.review
    assert review.status == "published"
    assert review.contributing_factors == [
        {"id": "2", "text": "Pool alerts fire only at 100% use", "category": "capacity"}
    ]
    assert (review.recommendations, review.recommendation_ids) == (
        ["Canary every config push"],
        ["1"],
    )
    assert sorted(f.status for f in review.follow_ups.values()) == ["cancelled", "open"]
    assert [a["reason"] for a in review.amendments] == ["The pool size was not the root cause"]


def test_the_read_models_follow_the_corrections(recorded: list[RecordedEvent]) -> None:
    row: IncidentRow | None = None
    follow_ups: dict[UUID, FollowUpRow | None] = {}
    for r in recorded:
        row = project(row, r, parse_cadence(DEFAULT_UPDATE_CADENCE))
        follow_up_id = follow_up_id_of(r)
        if follow_up_id is not None:
            follow_ups[follow_up_id] = project_follow_up(follow_ups.get(follow_up_id), r)
    assert row is not None

    assert (row.postmortem_status, row.factor_categories) == ("published", ["capacity"])
    assert sorted(f.status for f in follow_ups.values() if f is not None) == [
        "cancelled",
        "open",
    ]


def test_the_document_shows_the_revision_history(
    incident: Incident, recorded: list[RecordedEvent]
) -> None:
    document = render_postmortem(incident, recorded, today=date(2026, 12, 5))

    assert document.endswith(
        "## Revision history\n\n"
        "- 2026-12-01 19:40:00: published by dave\n"
        "- 2026-12-01 19:50:00: amended by alice: The pool size was not the root cause\n"
        "- 2026-12-01 20:50:00: published by dave\n"
    )
    assert "cancelled 2026-12-01 20:40:00 by dave: Replaced by the platform-wide canary" in (
        document
    )
