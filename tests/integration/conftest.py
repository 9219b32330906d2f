"""Helpers for the event store's integration tests: incidents built through their commands."""

from __future__ import annotations

from typing import Any

from shared.domain.incident import Incident
from shared.domain.values import Actor

ALICE = Actor(principal="alice")


def declare_incident(number: int = 1, **overrides: Any) -> Incident:
    """A freshly declared incident owned by alice, its Declared event still pending."""
    fields: dict[str, Any] = {
        "actor": ALICE,
        "number": number,
        "title": f"Checkout 500s ({number})",
        "criteria": ["customer_sla_at_risk"],
        "severity": "P2",
        "services": ["checkout"],
    }
    fields.update(overrides)
    return Incident.declare(**fields)


def post_updates(incident: Incident, count: int, *, prefix: str = "update") -> None:
    """Post `count` internal updates, leaving their events pending on the incident."""
    for n in range(count):
        incident.post_update(ALICE, audience="internal", body=f"{prefix} {n}")
