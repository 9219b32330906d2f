"""Which events a subscription wants, the patterns it may use, and the secrets it signs with."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from shared.webhooks.subscriptions import Subscription, new_secret, valid_pattern

NOW = datetime(2026, 11, 26, 3, 12, tzinfo=UTC)


def subscription(event_types: list[str], severities: list[str] | None = None) -> Subscription:
    """An active subscription with these filters."""
    return Subscription(
        id=uuid.uuid4(),
        url="https://hooks.example.com/irm",
        event_types=event_types,
        severities=severities or [],
        description=None,
        status="active",
        disabled_reason=None,
        created_by="root",
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize("patterns", [["incident.*"], ["*"], []])
@pytest.mark.parametrize(
    "event_type",
    ["incident.declared", "incident.customer_update_overdue", "incident.postmortem_published"],
)
def test_a_wildcard_or_no_pattern_wants_every_event_type(
    patterns: list[str], event_type: str
) -> None:
    assert subscription(patterns).wants(event_type, "P3")


def test_exact_types_want_only_those_types() -> None:
    wanted = subscription(["incident.declared", "incident.resolved"])

    assert wanted.wants("incident.declared", "P1")
    assert wanted.wants("incident.resolved", "P1")
    assert not wanted.wants("incident.reopened", "P1")
    assert not wanted.wants("incident.declared_again", "P1")


def test_a_pattern_may_match_a_family_of_types() -> None:
    follow_ups = subscription(["incident.follow_up_*"])

    assert follow_ups.wants("incident.follow_up_added", "P1")
    assert follow_ups.wants("incident.follow_up_completed", "P1")
    assert not follow_ups.wants("incident.postmortem_started", "P1")


def test_severities_filter_by_the_incident_severity_after_the_event() -> None:
    significant = subscription(["incident.*"], ["P1", "P2"])

    assert significant.wants("incident.declared", "P1")
    assert significant.wants("incident.severity_changed", "P2")
    assert not significant.wants("incident.declared", "P3")
    assert not significant.wants("incident.declared", "P4")


def test_an_unclassified_incident_matches_only_subscriptions_without_a_severity_filter() -> None:
    assert subscription(["incident.*"]).wants("incident.declared", None)
    assert not subscription(["incident.*"], ["P1", "P2", "P3", "P4"]).wants(
        "incident.declared", None
    )


def test_both_filters_must_match() -> None:
    wanted = subscription(["incident.resolved"], ["P1"])

    assert wanted.wants("incident.resolved", "P1")
    assert not wanted.wants("incident.resolved", "P2")
    assert not wanted.wants("incident.declared", "P1")


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "incident.*",
        "incident.declared",
        "incident.customer_update_overdue",
        "incident.follow_up_*",
    ],
)
def test_valid_patterns(pattern: str) -> None:
    assert valid_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "incident",
        "incident.",
        "Incident.Declared",
        "incident.Declared",
        "declared",
        "incident.declared.v1",
        "dev.irm.incident.declared.v1",
        "**",
        "incident.[a-z]*",
        "incident.declared ",
        "incident.?",
    ],
)
def test_invalid_patterns(pattern: str) -> None:
    assert not valid_pattern(pattern)


def test_a_new_secret_is_whsec_and_32_random_bytes_in_base64() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    Webhook(secret)  # the standardwebhooks package accepts it


def test_every_secret_is_new() -> None:
    assert len({new_secret() for _ in range(100)}) == 100
