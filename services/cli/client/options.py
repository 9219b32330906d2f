"""Option types the client commands share, and the short names they accept."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]
IncidentArgument = Annotated[
    str, typer.Argument(metavar="INCIDENT", help="The incident: INC-12 (any case) or its id.")
]


class Severity(StrEnum):
    """P1 (critical) to P4 (low)."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Status(StrEnum):
    """Where an incident is in its life."""

    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Resolution(StrEnum):
    """How an incident ended."""

    RESTORED = "restored"
    WORKAROUND = "workaround"
    MITIGATED = "mitigated"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"


CRITERIA: dict[str, tuple[str, ...]] = {
    "production_workloads_affected": ("production", "production-workloads-affected"),
    "customer_sla_at_risk": ("sla", "customer-sla-at-risk"),
    "service_stability_at_risk": ("stability", "service-stability-at-risk"),
}
ROLES: dict[str, tuple[str, ...]] = {
    "incident_commander": ("ic", "incident-commander", "commander"),
    "communications_lead": ("cl", "communications-lead", "comms"),
    "operations_lead": ("ol", "operations-lead", "ops"),
}


def full_name(value: str, names: Mapping[str, tuple[str, ...]], what: str) -> str:
    """The API's name for `value`, which may be the name itself or one of its short forms."""
    wanted = value.strip().lower()
    for name, short in names.items():
        if wanted == name or wanted in short:
            return name
    choices = ", ".join(f"{name} ({'/'.join(short[:1])})" for name, short in names.items())
    raise typer.BadParameter(f"{value!r} is not a {what}; choose from {choices}")


def incident_path(incident: str, *rest: str) -> str:
    """The API path of an incident (by reference or id) and what follows it."""
    # Quoted: whatever was typed stays one path segment, for the server to accept or refuse.
    return "/".join(("/v1/incidents", quote(incident.strip(), safe=""), *rest))
