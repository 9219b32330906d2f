"""Facts that happened outside the tool: the impact window (when the impact began and when
someone noticed) and timeline entries recorded after the moment they tell of."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.domain.errors import InvalidFieldError, NoChangeError, NotAuthorizedError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from tests.unit.conftest import ALICE, BOB, DAVE, ROOT, declare, only_event, refuse

NOW = datetime.now(UTC)
STARTED = NOW - timedelta(minutes=40)
DETECTED = NOW - timedelta(minutes=25)


def test_declaring_with_the_impact_window_records_it_and_the_state_keeps_it() -> None:
    incident = declare(started_at=STARTED, detected_at=DETECTED)

    event = only_event(incident)
    assert (event.started_at, event.detected_at) == (STARTED, DETECTED)
    assert (incident.started_at, incident.detected_at) == (STARTED, DETECTED)


def test_declaring_without_them_leaves_them_unknown() -> None:
    incident = declare()

    assert (incident.started_at, incident.detected_at) == (None, None)


def test_either_may_be_declared_alone() -> None:
    assert declare(detected_at=DETECTED).detected_at == DETECTED
    assert declare(started_at=STARTED).started_at == STARTED


def test_a_moment_in_another_zone_is_recorded_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    incident = declare(started_at=STARTED.astimezone(plus_two))

    assert incident.started_at == STARTED
    assert incident.started_at is not None
    assert incident.started_at.tzinfo is UTC


@pytest.mark.parametrize("field", ["started_at", "detected_at"])
def test_a_moment_after_the_declaration_is_refused(field: str) -> None:
    moments: dict[str, Any] = {field: datetime.now(UTC) + timedelta(seconds=5)}
    with pytest.raises(InvalidFieldError) as raised:
        declare(**moments)

    assert raised.value.field == field
    assert raised.value.message == "must not be after the declaration"


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(started_at=datetime(2026, 11, 26, 3, 0))

    assert (raised.value.field, raised.value.message) == ("started_at", "must have a time zone")


def test_detection_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(started_at=DETECTED, detected_at=STARTED)

    assert (raised.value.field, raised.value.message) == (
        "detected_at",
        "must not be before started_at",
    )


def test_the_acting_ic_sets_the_impact_window_later(incident: Incident) -> None:
    incident.set_impact_window(ALICE, started_at=STARTED, detected_at=DETECTED)

    event = only_event(incident)
    assert event_name(event) == "ImpactWindowSet"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "started_at": STARTED,
        "detected_at": DETECTED,
        "previous_started_at": None,
        "previous_detected_at": None,
        "break_glass": False,
    }
    assert (incident.started_at, incident.detected_at) == (STARTED, DETECTED)


def test_a_correction_keeps_what_it_leaves_out_and_records_what_it_replaces(
    incident: Incident,
) -> None:
    incident.set_impact_window(ALICE, started_at=STARTED, detected_at=DETECTED)
    earlier = STARTED - timedelta(hours=2)

    incident.collect_events()
    incident.set_impact_window(ALICE, started_at=earlier)

    event = only_event(incident)
    assert (event.started_at, event.detected_at) == (earlier, DETECTED)
    assert (event.previous_started_at, event.previous_detected_at) == (STARTED, DETECTED)
    assert (incident.started_at, incident.detected_at) == (earlier, DETECTED)


def test_a_correction_is_checked_against_what_it_keeps(incident: Incident) -> None:
    incident.set_impact_window(ALICE, started_at=STARTED, detected_at=DETECTED)

    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.set_impact_window(ALICE, started_at=DETECTED + timedelta(minutes=1)),
    )
    assert (error.field, error.message) == ("started_at", "must not be after detected_at")


def test_the_window_may_not_reach_past_the_declaration(incident: Incident) -> None:
    after = incident.created_on + timedelta(seconds=1)

    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.set_impact_window(ALICE, detected_at=after),
    )
    assert (error.field, error.message) == ("detected_at", "must not be after the declaration")


def test_setting_nothing_or_the_same_window_is_refused(incident: Incident) -> None:
    error = refuse(incident, InvalidFieldError, lambda: incident.set_impact_window(ALICE))
    assert error.field == "started_at"

    incident.set_impact_window(ALICE, started_at=STARTED)
    refuse(incident, NoChangeError, lambda: incident.set_impact_window(ALICE, started_at=STARTED))


def test_only_the_acting_ic_sets_it_and_an_admin_breaks_glass(incident: Incident) -> None:
    refuse(
        incident,
        NotAuthorizedError,
        lambda: incident.set_impact_window(DAVE, started_at=STARTED),
    )
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    refuse(
        incident,
        NotAuthorizedError,
        lambda: incident.set_impact_window(ALICE, started_at=STARTED),
    )

    incident.set_impact_window(BOB, started_at=STARTED)
    assert only_event(incident).break_glass is False
    incident.set_impact_window(ROOT, detected_at=DETECTED)
    assert only_event(incident).break_glass is True


def test_the_review_may_correct_the_window_of_a_closed_incident(incident: Incident) -> None:
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.close(ALICE)

    incident.set_impact_window(ALICE, started_at=STARTED)

    assert incident.started_at == STARTED


def test_anyone_adds_a_timeline_entry_at_the_moment_it_happened(incident: Incident) -> None:
    at = NOW - timedelta(hours=1)

    incident.add_timeline_entry(DAVE, occurred_at=at, text="  03:02 customer called support ")

    event = only_event(incident)
    assert event_name(event) == "TimelineEntryAdded"
    assert event_actor(event) == "dave"
    assert event_data(event) == {"occurred_at": at, "text": "03:02 customer called support"}
    assert event.timestamp > at  # recorded now, telling of an hour ago


def test_a_timeline_entry_changes_nothing_else(incident: Incident) -> None:
    before = {k: v for k, v in vars(incident).items() if k not in {"_version", "_modified_on"}}

    incident.add_timeline_entry(DAVE, occurred_at=STARTED, text="pager went off")

    after = {k: v for k, v in vars(incident).items() if k not in {"_version", "_modified_on"}}
    assert after == {**before, "_pending_events": after["_pending_events"]}


def test_a_timeline_entry_in_the_future_or_without_text_is_refused(incident: Incident) -> None:
    future = datetime.now(UTC) + timedelta(minutes=1)
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.add_timeline_entry(DAVE, occurred_at=future, text="later"),
    )
    assert (error.field, error.message) == ("occurred_at", "must not be in the future")

    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.add_timeline_entry(DAVE, occurred_at=STARTED, text="  "),
    )
    assert error.field == "text"


def test_timeline_entries_are_taken_after_closing_too(incident: Incident) -> None:
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.close(ALICE)
    incident.collect_events()

    incident.add_timeline_entry(DAVE, occurred_at=STARTED, text="support saw the first ticket")

    assert event_name(only_event(incident)) == "TimelineEntryAdded"


def test_the_new_events_survive_storing_and_replaying() -> None:
    incident = declare(started_at=STARTED, detected_at=DETECTED)
    incident.set_impact_window(ALICE, started_at=STARTED - timedelta(minutes=5))
    incident.add_timeline_entry(DAVE, occurred_at=STARTED, text="first alert")
    mapper = build_mapper()

    replayed: Incident | None = None
    for event in incident.collect_events():
        stored = mapper.to_stored_event(event)
        decoded = mapper.to_domain_event(stored)
        assert decoded == event
        replayed = decoded.mutate(replayed)

    assert replayed is not None
    assert (replayed.started_at, replayed.detected_at) == (
        STARTED - timedelta(minutes=5),
        DETECTED,
    )
