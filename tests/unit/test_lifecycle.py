"""Open, resolved, closed: how an incident moves and what each status still allows."""

from __future__ import annotations

import pytest

from shared.domain.errors import IllegalTransitionError, InvalidFieldError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.domain.values import Actor
from tests.unit.conftest import ALICE, ALL_COMMANDS, BOB, DAVE, ROOT, Command, only_event, refuse


@pytest.mark.parametrize("resolution", ["restored", "workaround", "mitigated"])
def test_resolving_records_how_and_marks_the_incident_resolved(
    incident: Incident, resolution: str
) -> None:
    incident.resolve(ALICE, resolution=resolution, summary="Rolled back the 14:05 deploy")

    event = only_event(incident)
    assert event_name(event) == "Resolved"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "resolution": resolution,
        "summary": "Rolled back the 14:05 deploy",
        "break_glass": False,
        "duplicate_of": None,
        "duplicate_of_reference": None,
    }
    assert incident.status == "resolved"
    assert incident.resolution == resolution
    assert incident.resolution_summary == "Rolled back the 14:05 deploy"
    assert incident.resolved_at == event.timestamp


@pytest.mark.parametrize(
    ("resolution", "summary", "field"),
    [
        ("fixed", "done", "resolution"),
        ("Restored", "done", "resolution"),
        ("restored", " ", "summary"),
    ],
)
def test_a_resolution_must_be_one_of_three_and_summarised(
    incident: Incident, resolution: str, summary: str, field: str
) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.resolve(ALICE, resolution=resolution, summary=summary),
    )
    assert error.field == field


def test_closing_a_resolved_incident_makes_it_closed(resolved: Incident) -> None:
    resolved.close(ALICE)

    event = only_event(resolved)
    assert event_name(event) == "Closed"
    assert event_actor(event) == "alice"
    assert event_data(event) == {"break_glass": False}
    assert resolved.status == "closed"
    assert resolved.closed_at == event.timestamp
    assert resolved.resolution == "restored"


def test_reopening_a_resolved_incident_makes_it_open_again(resolved: Incident) -> None:
    resolved.reopen(ALICE, reason="Errors are back after the cache expired")

    event = only_event(resolved)
    assert event_name(event) == "Reopened"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "reason": "Errors are back after the cache expired",
        "break_glass": False,
        "was_closed": False,
    }
    assert resolved.status == "open"
    assert resolved.resolution is None
    assert resolved.resolution_summary is None
    assert resolved.resolved_at is None


def test_a_reopen_needs_a_reason(resolved: Incident) -> None:
    error = refuse(resolved, InvalidFieldError, lambda: resolved.reopen(ALICE, reason=""))
    assert error.field == "reason"


def test_a_reopened_incident_can_be_resolved_again_and_closed(resolved: Incident) -> None:
    resolved.reopen(ALICE, reason="not fixed")
    resolved.resolve(ALICE, resolution="workaround", summary="feature flag off")
    resolved.close(ALICE)

    assert [event_name(e) for e in resolved.collect_events()] == ["Reopened", "Resolved", "Closed"]
    assert resolved.status == "closed"
    assert resolved.resolution == "workaround"


def test_a_resolved_incident_still_takes_updates_and_assessment(resolved: Incident) -> None:
    resolved.post_update(ALICE, audience="customer", body="Resolved; monitoring")
    resolved.assign_role(ALICE, role="incident_commander", assignee="bob", note="for the review")
    resolved.escalate(BOB, target="platform", reason="post-incident review")

    assert [event_name(e) for e in resolved.collect_events()] == [
        "UpdatePosted",
        "RoleAssigned",
        "Escalated",
    ]
    assert resolved.status == "resolved"


# Reopening a closed incident is the one way back (tests/unit/test_reopen_closed.py).
# An internal update is taken after closing too (see test_updates).
CLOSED_STAYS_CLOSED = {
    name: c for name, c in ALL_COMMANDS.items() if name not in {"reopen", "post_update internal"}
}


@pytest.mark.parametrize("command", CLOSED_STAYS_CLOSED.values(), ids=CLOSED_STAYS_CLOSED.keys())
@pytest.mark.parametrize("actor", [ALICE, ROOT, DAVE], ids=["commander", "admin", "responder"])
def test_nothing_changes_after_closure(closed: Incident, command: Command, actor: Actor) -> None:
    error = refuse(closed, IllegalTransitionError, lambda: command(closed, actor))

    assert error.rule == "incident-closed"
    assert error.incident_id == closed.id
    assert closed.status == "closed"


def test_an_open_incident_cannot_be_closed(incident: Incident) -> None:
    error = refuse(incident, IllegalTransitionError, lambda: incident.close(ALICE))

    assert error.rule == "incident-not-resolved"
    assert incident.status == "open"


def test_a_resolved_incident_cannot_be_resolved_again(resolved: Incident) -> None:
    error = refuse(
        resolved,
        IllegalTransitionError,
        lambda: resolved.resolve(ALICE, resolution="mitigated", summary="again"),
    )

    assert error.rule == "incident-not-open"
    assert resolved.resolution == "restored"


def test_an_open_incident_cannot_be_reopened(incident: Incident) -> None:
    error = refuse(
        incident, IllegalTransitionError, lambda: incident.reopen(ALICE, reason="just in case")
    )

    assert error.rule == "incident-not-resolved"
    assert incident.status == "open"
