"""The vocabulary of the incident process: roles, severities, audiences and the acting person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Criterion(StrEnum):
    """A reason to declare an incident; at least one is required."""

    PRODUCTION_WORKLOADS_AFFECTED = "production_workloads_affected"
    CUSTOMER_SLA_AT_RISK = "customer_sla_at_risk"
    SERVICE_STABILITY_AT_RISK = "service_stability_at_risk"


class Severity(StrEnum):
    """P1 is critical, P4 is low."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Role(StrEnum):
    """The three incident roles; one person may hold several."""

    INCIDENT_COMMANDER = "incident_commander"
    COMMUNICATIONS_LEAD = "communications_lead"
    OPERATIONS_LEAD = "operations_lead"


class Audience(StrEnum):
    """Who an update is for: the response team or the customers."""

    INTERNAL = "internal"
    CUSTOMER = "customer"


class UpdateKind(StrEnum):
    """An update in the run of the response (regular), or the final notice to customers after
    the resolution (final: "RCA published")."""

    REGULAR = "regular"
    FINAL = "final"


class Resolution(StrEnum):
    """How an incident was resolved: restored, worked around, or mitigated below SLA impact; or
    found not to be an incident of its own: a false alarm, or a duplicate of another."""

    RESTORED = "restored"
    WORKAROUND = "workaround"
    MITIGATED = "mitigated"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"


class Status(StrEnum):
    """Where an incident is in its life: open, resolved (awaiting the IC), closed."""

    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated principal issuing a command.

    `is_admin` lets the principal act as Incident Commander when the real one cannot
    (break glass); the events it records then say so.
    """

    principal: str
    is_admin: bool = False


SYSTEM_ACTOR = Actor(principal="system", is_admin=True)

TITLE_MAX_CHARS = 200
UPDATE_BODY_MAX_CHARS = 10_000
TEXT_MAX_CHARS = 10_000
NAME_MAX_CHARS = 200

REOPEN_CLOSED_WINDOW = timedelta(days=7)
"""How long after closing a closed incident may be reopened, unless the caller says otherwise
(the API's `IRM_REOPEN_CLOSED_WINDOW`)."""
