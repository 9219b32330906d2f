"""The commander's assessment: impact and scope, and internal escalation."""

from __future__ import annotations

import pytest

from shared.domain.errors import InvalidFieldError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from tests.unit.conftest import ALICE, only_event, refuse


def test_assessing_impact_records_impact_and_scope(incident: Incident) -> None:
    incident.assess_impact(ALICE, impact="Card payments fail", scope="EU tenants, web only")

    event = only_event(incident)
    assert event_name(event) == "ImpactAssessed"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "impact": "Card payments fail",
        "scope": "EU tenants, web only",
        "break_glass": False,
    }
    assert (incident.impact, incident.scope) == ("Card payments fail", "EU tenants, web only")


def test_a_new_assessment_replaces_the_last(incident: Incident) -> None:
    incident.assess_impact(ALICE, impact="Card payments fail", scope="EU")
    incident.assess_impact(ALICE, impact="Card payments slow", scope="EU and US")

    assert len(incident.collect_events()) == 2
    assert (incident.impact, incident.scope) == ("Card payments slow", "EU and US")


@pytest.mark.parametrize(
    ("impact", "scope", "field"),
    [("", "EU", "impact"), ("fails", "  ", "scope"), ("x" * 10_001, "EU", "impact")],
)
def test_impact_and_scope_are_both_required(
    incident: Incident, impact: str, scope: str, field: str
) -> None:
    error = refuse(
        incident,
        InvalidFieldError,
        lambda: incident.assess_impact(ALICE, impact=impact, scope=scope),
    )
    assert error.field == field


def test_escalating_records_the_target_and_reason(incident: Incident) -> None:
    incident.escalate(ALICE, target="database-team", reason="primary is not failing over")

    event = only_event(incident)
    assert event_name(event) == "Escalated"
    assert event_actor(event) == "alice"
    assert event_data(event) == {
        "target": "database-team",
        "reason": "primary is not failing over",
        "break_glass": False,
    }


@pytest.mark.parametrize(
    ("target", "reason", "field"),
    [(" ", "lag", "target"), ("x" * 201, "lag", "target"), ("dba", "", "reason")],
)
def test_an_escalation_needs_a_target_and_a_reason(
    incident: Incident, target: str, reason: str, field: str
) -> None:
    error = refuse(
        incident, InvalidFieldError, lambda: incident.escalate(ALICE, target=target, reason=reason)
    )
    assert error.field == field
