"""Reopening a closed incident (issue 10): by the IC of record or an admin, with a reason, within
the reopen window of its closing; `Reopened` records that it was closed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.domain.errors import IllegalTransitionError, InvalidFieldError, NotAuthorizedError
from shared.domain.events import event_data, event_name
from shared.domain.incident import Incident
from shared.domain.values import REOPEN_CLOSED_WINDOW, Actor
from shared.eventstore.store import RecordedEvent
from shared.readmodels.incidents import project
from shared.readmodels.timeline import timeline_entry
from tests.unit.conftest import ALICE, BOB, DAVE, ROOT, declare, only_event, refuse
from tests.unit.readmodels.conftest import CADENCE


def test_the_ic_of_record_reopens_a_closed_incident_within_the_window(closed: Incident) -> None:
    closed.reopen(ALICE, reason="errors are back")

    event = only_event(closed)
    assert event_name(event) == "Reopened"
    assert event_data(event) == {
        "reason": "errors are back",
        "break_glass": False,
        "was_closed": True,
    }
    assert closed.status == "open"
    assert (closed.resolution, closed.resolved_at, closed.closed_at) == (None, None, None)


def test_the_default_window_is_seven_days() -> None:
    assert timedelta(days=7) == REOPEN_CLOSED_WINDOW


def test_an_admin_reopens_it_breaking_glass(closed: Incident) -> None:
    closed.reopen(ROOT, reason="customer reports it again")

    assert event_data(only_event(closed))["break_glass"] is True


def test_a_named_ic_is_the_ic_of_record() -> None:
    incident = declare()
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note=None)
    incident.resolve(BOB, resolution="restored", summary="rolled back")
    incident.close(BOB)

    refuse(incident, NotAuthorizedError, lambda: incident.reopen(ALICE, reason="again"))
    incident.reopen(BOB, reason="again")
    assert incident.status == "open"


def test_a_responder_may_not_reopen_a_closed_incident(closed: Incident) -> None:
    refuse(closed, NotAuthorizedError, lambda: closed.reopen(DAVE, reason="again"))


@pytest.mark.parametrize("actor", [ALICE, ROOT], ids=["commander", "admin"])
def test_outside_the_window_it_stays_closed(closed: Incident, actor: Actor) -> None:
    error = refuse(
        closed,
        IllegalTransitionError,
        lambda: closed.reopen(actor, reason="again", closed_window=timedelta(0)),
    )
    assert error.rule == "reopen-window-passed"
    assert closed.status == "closed"


def test_a_reopen_of_a_closed_incident_needs_a_reason(closed: Incident) -> None:
    error = refuse(closed, InvalidFieldError, lambda: closed.reopen(ALICE, reason=" "))
    assert error.field == "reason"


def test_a_resolved_incident_records_it_was_not_closed(resolved: Incident) -> None:
    resolved.reopen(ALICE, reason="again", closed_window=timedelta(0))
    assert event_data(only_event(resolved))["was_closed"] is False


def test_the_read_models_follow_a_reopen_of_a_closed_incident() -> None:
    incident = declare()
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.close(ALICE)
    incident.reopen(ALICE, reason="errors are back")
    row = None
    recorded = [
        RecordedEvent(position=n, event=e) for n, e in enumerate(incident.collect_events(), 1)
    ]
    for r in recorded:
        row = project(row, r, CADENCE)
    assert row is not None
    assert (row.status, row.closed_at, row.resolved_at, row.reopen_count) == ("open", None, None, 1)
    entry = timeline_entry(recorded[-1])
    assert entry is not None
    assert entry.summary == "alice reopened the closed incident: errors are back"


@pytest.mark.parametrize("window", [timedelta(days=7), timedelta(hours=12)])
def test_the_refusal_names_the_window(closed: Incident, window: timedelta) -> None:
    closed_at = closed.closed_at
    assert closed_at is not None
    closed.closed_at = closed_at - window - timedelta(seconds=1)
    error = refuse(
        closed,
        IllegalTransitionError,
        lambda: closed.reopen(ALICE, reason="again", closed_window=window),
    )
    assert error.rule == "reopen-window-passed"
    assert ("7 days" if window.days else "12 hours") in str(error)
