"""Reading Alertmanager's and Grafana's notifications (tests/fixtures/alerts/) into alert groups,
and routing a group by its labels: the defaults of issue 12 and the first matching rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.incident_api.alert_payloads import (
    MalformedPayloadError,
    read_alertmanager,
    read_grafana,
)
from services.incident_api.alert_routing import RoutingRule, route

ALERTS = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"


def payload(name: str) -> bytes:
    """A fixture payload's bytes, exactly as checked in."""
    return (ALERTS / name).read_bytes()


def test_an_alertmanager_group_keeps_its_key_alerts_and_what_they_share() -> None:
    group = read_alertmanager(payload("alertmanager_grouped_one_resolved.json"))

    assert group.group_key == '{}/{service="checkout"}:{alertname="CheckoutHighErrorRate"}'
    assert [(a.fingerprint, a.status) for a in group.alerts] == [
        ("2f6b3c8a1e0d9f47", "resolved"),
        ("8c1d4e7f0a2b5936", "firing"),
    ]
    assert group.alerts[0].ends_at == "2026-12-01T22:09:30.512Z"
    assert group.alerts[1].ends_at is None  # Alertmanager's 0001-01-01: not ended
    assert "instance" not in group.common_labels
    assert group.common_labels["service"] == "checkout"


def test_a_grafana_group_without_a_key_is_its_set_of_fingerprints() -> None:
    body = json.loads(payload("grafana_firing.json"))
    del body["groupKey"]

    group = read_grafana(json.dumps(body).encode())

    assert group.group_key == "fingerprints:c6eadffa33fcdf37"
    assert group.alerts[0].summary == "Payments workers near their memory limit"


def test_an_alert_without_a_fingerprint_is_known_by_its_labels() -> None:
    body = json.loads(payload("alertmanager_firing.json"))
    del body["alerts"][0]["fingerprint"]
    once = read_alertmanager(json.dumps(body).encode()).alerts[0].fingerprint
    body["alerts"][0]["annotations"]["summary"] = "changed"

    assert read_alertmanager(json.dumps(body).encode()).alerts[0].fingerprint == once


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"not json", "not JSON"),
        (b'{"version": "4", "status": "firing", "alerts": []}', "groupKey"),
        (b'{"version": "4", "groupKey": "g", "status": "firing", "alerts": []}', "alerts"),
        (b'{"version": "4", "groupKey": "g", "status": "odd", "alerts": [{}]}', "status"),
    ],
)
def test_what_alertmanager_would_not_send_is_malformed(body: bytes, where: str) -> None:
    with pytest.raises(MalformedPayloadError, match=where):
        read_alertmanager(body)


def test_without_rules_the_labels_name_the_service_and_the_severity() -> None:
    checkout = route([], read_alertmanager(payload("alertmanager_firing.json")))
    payments = route([], read_grafana(payload("grafana_firing.json")))

    assert (checkout.action, checkout.service, checkout.severity) == ("declare", "checkout", "P1")
    assert checkout.criteria == ("production_workloads_affected",)
    assert (payments.service, payments.severity, payments.rule) == ("payments", "P3", None)


@pytest.mark.parametrize(
    ("label", "severity"),
    [("critical", "P1"), ("error", "P2"), ("high", "P2"), ("warning", "P3"), ("info", "P4")],
)
def test_severity_labels_map_to_severities(label: str, severity: str) -> None:
    body = json.loads(payload("alertmanager_firing.json"))
    for labels in (body["commonLabels"], body["alerts"][0]["labels"]):
        labels["severity"] = label

    assert route([], read_alertmanager(json.dumps(body).encode())).severity == severity


def test_the_first_matching_rule_decides() -> None:
    group = read_alertmanager(payload("alertmanager_firing.json"))
    rules = [
        RoutingRule.model_validate({"match": {"job": "batch"}, "action": "page"}),
        RoutingRule.model_validate({"match": {"job": "checkout"}, "severity": "P2"}),
        RoutingRule.model_validate({"match": {}, "action": "page"}),
    ]

    decided = route(rules, group)

    assert (decided.rule, decided.action, decided.severity, decided.service) == (
        1,
        "declare",
        "P2",
        "checkout",
    )
