"""Declaring an incident: what the Declared event holds and which declarations are refused."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.errors import InvalidFieldError
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.domain.values import Actor
from tests.unit.conftest import ALICE, BOB, declare

ALL_CRITERIA = [
    "production_workloads_affected",
    "customer_sla_at_risk",
    "service_stability_at_risk",
]


def test_declaring_records_one_declared_event_with_everything_said() -> None:
    incident = declare(
        number=42,
        title="Checkout returns 500s",
        description="Since the 14:05 deploy",
        criteria=["production_workloads_affected", "customer_sla_at_risk"],
        severity="P1",
        services=["checkout", "payments"],
        owner="bob",
    )

    events = incident.collect_events()
    assert [event_name(e) for e in events] == ["Declared"]
    declared = events[0]
    assert event_actor(declared) == "alice"
    assert event_data(declared) == {
        "number": 42,
        "title": "Checkout returns 500s",
        "description": "Since the 14:05 deploy",
        "criteria": ["production_workloads_affected", "customer_sla_at_risk"],
        "severity": "P1",
        "services": ["checkout", "payments"],
        "owner": "bob",
        "started_at": None,
        "detected_at": None,
    }
    assert declared.originator_id == incident.id
    assert declared.originator_version == 1 == incident.version


def test_a_declared_incident_is_open_with_no_roles_and_the_declared_facts() -> None:
    incident = declare(number=42, severity="P3", services=["checkout"])

    assert incident.status == "open"
    assert incident.number == 42
    assert incident.title == "Checkout returns 500s"
    assert incident.severity == "P3"
    assert incident.services == ["checkout"]
    assert incident.criteria == ["customer_sla_at_risk"]
    assert incident.declared_by == "alice"
    assert incident.roles == {}
    assert incident.tickets == []
    assert incident.impact is None
    assert incident.scope is None
    assert incident.resolution is None
    assert incident.resolved_at is None
    assert incident.closed_at is None


def test_the_owner_defaults_to_the_declarer_who_then_acts_as_commander() -> None:
    incident = Incident.declare(actor=BOB, number=1, title="Queue backlog", criteria=ALL_CRITERIA)

    assert incident.owner == "bob"
    assert incident.acting_commander == "bob"
    assert event_data(incident.collect_events()[0])["owner"] == "bob"


def test_a_named_owner_acts_as_commander_instead_of_the_declarer() -> None:
    incident = declare(owner="bob")

    assert incident.owner == "bob"
    assert incident.declared_by == "alice"
    assert incident.acting_commander == "bob"


def test_severity_services_and_description_are_optional() -> None:
    incident = Incident.declare(
        actor=ALICE, number=1, title="Latency", criteria=["service_stability_at_risk"]
    )

    assert event_data(incident.collect_events()[0]) == {
        "number": 1,
        "title": "Latency",
        "description": None,
        "criteria": ["service_stability_at_risk"],
        "severity": None,
        "services": [],
        "owner": "alice",
        "started_at": None,
        "detected_at": None,
    }
    assert incident.severity is None
    assert declare(description="   ").description is None


@pytest.mark.parametrize(
    ("number", "reference"), [(1, "INC-1"), (42, "INC-42"), (10_000, "INC-10000")]
)
def test_the_reference_is_inc_and_the_number(number: int, reference: str) -> None:
    assert declare(number=number).reference == reference


@pytest.mark.parametrize("number", [0, -1])
def test_a_number_below_one_is_refused(number: int) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(number=number)
    assert raised.value.field == "number"


def test_the_title_is_trimmed_and_may_be_200_characters() -> None:
    assert declare(title="  Checkout down  ").title == "Checkout down"
    assert declare(title="x" * 200).title == "x" * 200


@pytest.mark.parametrize("title", ["", "   ", "x" * 201], ids=["empty", "blank", "201 chars"])
def test_an_empty_or_overlong_title_is_refused(title: str) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(title=title)
    assert raised.value.field == "title"


def test_any_non_empty_set_of_the_three_criteria_is_accepted_once_each() -> None:
    assert declare(criteria=ALL_CRITERIA).criteria == ALL_CRITERIA
    assert declare(criteria=["customer_sla_at_risk", "customer_sla_at_risk"]).criteria == [
        "customer_sla_at_risk"
    ]


@pytest.mark.parametrize(
    "criteria",
    [[], ["customer_sla_at_risk", "mood_is_bad"], ["Customer_SLA_at_risk"]],
    ids=["none", "one unknown", "wrong case"],
)
def test_missing_or_unknown_criteria_are_refused(criteria: list[str]) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(criteria=criteria)
    assert raised.value.field == "criteria"


@pytest.mark.parametrize("severity", ["P1", "P2", "P3", "P4"])
def test_each_severity_p1_to_p4_is_accepted(severity: str) -> None:
    incident = declare(severity=severity)
    assert incident.severity == severity
    assert event_data(incident.collect_events()[0])["severity"] == severity


@pytest.mark.parametrize("severity", ["P0", "P5", "p1", "critical", ""])
def test_any_other_severity_is_refused(severity: str) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(severity=severity)
    assert raised.value.field == "severity"


def test_services_are_trimmed_and_listed_once() -> None:
    assert declare(services=[" checkout ", "payments", "checkout"]).services == [
        "checkout",
        "payments",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("services", ["checkout", " "]), ("owner", "  "), ("description", "x" * 10_001)],
)
def test_blank_service_or_owner_and_overlong_description_are_refused(
    field: str, value: Any
) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        declare(**{field: value})
    assert raised.value.field == field


def test_the_declared_event_records_the_principal_and_an_aware_timestamp() -> None:
    incident = declare(actor=Actor("pager-bot"))

    declared = incident.collect_events()[0]
    assert event_actor(declared) == "pager-bot"
    assert declared.timestamp.utcoffset() is not None
    assert incident.created_on == declared.timestamp
