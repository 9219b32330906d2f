"""Changing severity: from, to and why, and never a change that changes nothing."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidFieldError, NoChangeError
from shared.domain.events import SeverityChanged, event_actor, event_data, event_name
from shared.domain.incident import Incident
from tests.unit.conftest import ALICE, declare, only_event, refuse


def test_a_severity_change_records_from_to_and_reason(incident: Incident) -> None:
    incident.change_severity(ALICE, severity="P1", reason="all EU customers affected")

    event = only_event(incident)
    assert event_name(event) == "SeverityChanged"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "from_severity": "P2",
        "to_severity": "P1",
        "reason": "all EU customers affected",
        "break_glass": False,
    }
    assert incident.severity == "P1"


def test_the_first_severity_of_an_unclassified_incident_changes_from_none() -> None:
    incident = declare(severity=None)
    incident.collect_events()

    incident.change_severity(ALICE, severity="P3", reason="single tenant")

    event = only_event(incident)
    assert (event.from_severity, event.to_severity) == (None, "P3")
    assert incident.severity == "P3"


def test_successive_changes_each_start_from_the_last(incident: Incident) -> None:
    incident.change_severity(ALICE, severity="P1", reason="spreading")
    incident.change_severity(ALICE, severity="P3", reason="contained")

    changes = [
        (e.from_severity, e.to_severity)
        for e in incident.collect_events()
        if isinstance(e, SeverityChanged)
    ]
    assert changes == [("P2", "P1"), ("P1", "P3")]


@pytest.mark.parametrize("reason", ["", "   ", "x" * 10_001], ids=["empty", "blank", "too long"])
def test_a_change_needs_a_reason(incident: Incident, reason: str) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.change_severity(ALICE, severity="P1", reason=reason),
    )
    assert error.field == "reason"


def test_the_same_severity_again_is_refused(incident: Incident) -> None:
    error = refuse(
        incident,
        NoChangeError,
        lambda: incident.change_severity(ALICE, severity="P2", reason="still bad"),
    )
    assert error.rule == "no-change"


@pytest.mark.parametrize("severity", ["P5", "p1", "high"])
def test_an_unknown_severity_is_refused(incident: Incident, severity: str) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.change_severity(ALICE, severity=severity, reason="because"),
    )
    assert error.field == "severity"
