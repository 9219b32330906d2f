"""Request and response bodies of the incident API.

Requests forbid unknown fields, so a typo is an error rather than a silently dropped value.
The domain checks the same rules again; these models exist to name the offending field early.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.domain.incident import Incident
from shared.domain.values import (
    NAME_MAX_CHARS,
    TEXT_MAX_CHARS,
    TITLE_MAX_CHARS,
    UPDATE_BODY_MAX_CHARS,
    Audience,
    Criterion,
    Resolution,
    Role,
    Severity,
)

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_CHARS)
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_CHARS)
]


class Command(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class IncidentCreate(Command):
    """Declare an incident."""

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_CHARS)
    ]
    description: Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS)] | None = None
    criteria: Annotated[list[Criterion], Field(min_length=1)]
    severity: Severity | None = None
    services: Annotated[list[Name], Field(max_length=100)] = []
    owner: Name | None = None


class RoleAssign(Command):
    """Assign or hand over a role."""

    role: Role
    assignee: Name
    note: Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS)] | None = None


class SeverityChange(Command):
    """Change the severity, with the reason."""

    severity: Severity
    reason: Text


class ImpactAssess(Command):
    """Record impact and scope."""

    impact: Text
    scope: Text


class TicketLink(Command):
    """Link a support-system ticket."""

    system: Name
    key: Name
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)] | None = None


class UpdatePost(Command):
    """Post an internal or customer update."""

    audience: Audience
    body: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=UPDATE_BODY_MAX_CHARS),
    ]


class EscalationCreate(Command):
    """Escalate internally."""

    target: Name
    reason: Text


class IncidentResolve(Command):
    """Resolve the incident."""

    resolution: Resolution
    summary: Text


class IncidentClose(Command):
    """Close a resolved incident: the IC's confirmation. Takes no fields."""


class IncidentReopen(Command):
    """Reopen a resolved incident."""

    reason: Text


class TicketRead(BaseModel):
    """A linked ticket."""

    system: str
    key: str
    url: str | None


class IncidentRead(BaseModel):
    """An incident's current state."""

    id: UUID
    number: int
    reference: str = Field(description="INC-<number>")
    title: str
    description: str | None
    status: str
    severity: str | None
    criteria: list[str]
    services: list[str]
    owner: str
    acting_commander: str = Field(description="The IC, or the owner until an IC is assigned.")
    roles: dict[str, str]
    impact: str | None
    scope: str | None
    tickets: list[TicketRead]
    resolution: str | None
    resolution_summary: str | None
    declared_by: str
    declared_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int

    @classmethod
    def of(cls, incident: Incident) -> IncidentRead:
        """The representation of an aggregate."""
        return cls(
            id=incident.id,
            number=incident.number,
            reference=incident.display_id,
            title=incident.title,
            description=incident.description,
            status=incident.status,
            severity=incident.severity,
            criteria=incident.criteria,
            services=incident.services,
            owner=incident.owner,
            acting_commander=incident.acting_commander,
            roles=incident.roles,
            impact=incident.impact,
            scope=incident.scope,
            tickets=[TicketRead.model_validate(t) for t in incident.tickets],
            resolution=incident.resolution,
            resolution_summary=incident.resolution_summary,
            declared_by=incident.declared_by,
            declared_at=incident.created_on,
            updated_at=incident.modified_on,
            resolved_at=incident.resolved_at,
            closed_at=incident.closed_at,
            version=incident.version,
        )


class IncidentCommandResult(IncidentRead):
    """The state after a command, with the log position of the command's last event."""

    position: int = Field(description="Pass as min_position to read your own write.")


class EventRead(BaseModel):
    """One stored event of an incident."""

    position: int
    version: int
    type: str
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


class EventList(BaseModel):
    """An incident's events in order."""

    items: list[EventRead]
