"""`FollowUpOverdue` as this version stores it
(tests/fixtures/stored_events_follow_up_overdue.json):
a follow-up due 2026-12-03, recorded overdue the next day, moved to 2026-12-10 and completed on
2026-12-08. It loads, encodes back byte for byte, and every follower counts it as done late:
after its first due date, though before the moved one."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import RecordedEvent
from shared.readmodels.follow_ups import FollowUpRow, follow_up_id_of, project_follow_up
from shared.readmodels.timeline import timeline_entry
from tests.stored_fixtures import recorded_events, stored_events


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    return stored_events("stored_events_follow_up_overdue.json")


@pytest.fixture(scope="module")
def recorded(stored: list[StoredEvent]) -> list[RecordedEvent]:
    return recorded_events(stored, first_position=701)


def test_each_event_decodes_and_encodes_back_byte_for_byte(stored: list[StoredEvent]) -> None:
    mapper = build_mapper()
    for item in stored:
        assert mapper.to_stored_event(mapper.to_domain_event(item)).state == item.state


def test_the_follow_up_is_done_late_against_its_first_due_date(
    recorded: list[RecordedEvent],
) -> None:
    incident: Incident | None = None
    rows: dict[UUID, FollowUpRow | None] = {}
    for r in recorded:
        incident = r.event.mutate(incident)
        follow_up_id = follow_up_id_of(r)
        if follow_up_id is not None:
            rows[follow_up_id] = project_follow_up(rows.get(follow_up_id), r)
    assert incident is not None
    ((follow_up_id, row),) = rows.items()
    assert row is not None

    state = incident.review.follow_ups[str(follow_up_id)]
    assert (state.original_due_date, state.due_date, state.due_date_changes) == (
        "2026-12-03",
        "2026-12-10",
        1,
    )
    assert state.overdue_for == "2026-12-03"
    assert (row.original_due_date, row.due_date, row.overdue_for) == (
        date(2026, 12, 3),
        date(2026, 12, 10),
        date(2026, 12, 3),
    )
    assert row.completed_on_time is False


def test_the_timeline_names_the_follow_up_and_its_owner(recorded: list[RecordedEvent]) -> None:
    (overdue,) = [timeline_entry(r) for r in recorded if r.event.actor == "system"]

    assert overdue.summary == (
        "follow-up 'Alert at 80% pool use' is overdue (due 2026-12-03); owner bob"
    )
