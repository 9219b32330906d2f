"""Request and response bodies of the incident API.

Requests forbid unknown fields, so a typo is an error rather than a silently dropped value.
The domain checks the same rules again; the bodies exist to name the offending field early.
Each request body is made from its command (`commands`), which holds the only field list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    TypeVar,
    get_type_hints,
)
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.incident_api.command_fields import Note, ServiceNames, Text, Title
from services.incident_api.commands import (
    AcknowledgePage,
    AddTimelineEntry,
    AssessImpact,
    AssignRole,
    ChangeSeverity,
    CloseIncident,
    DeclareIncident,
    EditDetails,
    Escalate,
    LinkTicket,
    PostUpdate,
    ReopenIncident,
    ResolveIncident,
    SetImpactWindow,
    UnassignRole,
)
from services.incident_api.incident_service import CommandOutcome
from services.incident_api.references import INCIDENT_KEY_PATTERN, other_incident
from shared.domain.incident import Incident
from shared.domain.values import Resolution

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from services.incident_api.deps import Services

Model = TypeVar("Model", bound=BaseModel)


class CommandBody(BaseModel):
    """Base of every request body: unknown fields are refused.

    A body names its `command` and takes the command's fields (`body_fields`) and docstring,
    so each field list, with its types and limits, is written once: on the command.
    """

    model_config = ConfigDict(extra="forbid")

    command: ClassVar[type[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ is None:
            cls.__doc__ = cls.command.__doc__

    def to_command(self, **path: str) -> Any:
        """The command, from this body's fields and those in the request's path."""
        return self.command(**dict(self), **path)

    async def command_for(self, services: Services, **path: str) -> Any:
        """The command, once what the body names is looked up (`to_command`, unless a body
        names another incident)."""
        return self.to_command(**path)


def body_fields(command: type[DataclassInstance], *, path: Collection[str] = ()) -> dict[str, Any]:
    """The annotations of a request body for `command`: its fields but those the path gives."""
    hints = get_type_hints(command, include_extras=True)
    annotations: dict[str, Any] = {}
    for field in dataclasses.fields(command):
        if field.name in path:
            continue
        annotation = hints[field.name]
        if field.default_factory is not dataclasses.MISSING:
            annotation = Annotated[annotation, Field(default=field.default_factory())]
        elif field.default is not dataclasses.MISSING:
            annotation = Annotated[annotation, Field(default=field.default)]
        annotations[field.name] = annotation
    return annotations


class IncidentCreate(CommandBody):
    command = DeclareIncident
    __annotations__ = body_fields(command)


class RoleAssign(CommandBody):
    command = AssignRole
    __annotations__ = body_fields(command)


class RoleUnassign(CommandBody):
    command = UnassignRole
    __annotations__ = body_fields(command, path={"role"})


class DetailsEdit(CommandBody):
    """Correct any of the title, the description (null clears it) and the services; a field
    left out stays as it is."""

    command = EditDetails
    title: Title | None = None
    description: Note | None = None
    services: ServiceNames | None = None

    def to_command(self, **path: str) -> Any:
        """The edit of exactly the fields the body names."""
        return EditDetails(changes={name: getattr(self, name) for name in self.model_fields_set})


class SeverityChange(CommandBody):
    command = ChangeSeverity
    __annotations__ = body_fields(command)


class ImpactAssess(CommandBody):
    command = AssessImpact
    __annotations__ = body_fields(command)


class TicketLink(CommandBody):
    command = LinkTicket
    __annotations__ = body_fields(command)


class UpdatePost(CommandBody):
    command = PostUpdate
    __annotations__ = body_fields(command)


class EscalationCreate(CommandBody):
    command = Escalate
    __annotations__ = body_fields(command)


IncidentRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=INCIDENT_KEY_PATTERN),
    Field(examples=["INC-7"]),
]
"""Another incident, by its id (a UUID) or its reference, `INC-<number>` in any case."""


class IncidentResolve(CommandBody):
    """Resolve the incident. A `duplicate` names the incident it duplicates in
    `duplicate_of`, by reference or id; no other resolution takes it."""

    command = ResolveIncident
    resolution: Resolution
    summary: Text
    duplicate_of: IncidentRef | None = None

    async def command_for(self, services: Services, **path: str) -> Any:
        """The command, with the id and reference of the incident `duplicate_of` names."""
        if self.duplicate_of is None:
            return ResolveIncident(resolution=self.resolution, summary=self.summary)
        duplicate_of, reference = await other_incident(services, "duplicate_of", self.duplicate_of)
        return ResolveIncident(
            resolution=self.resolution,
            summary=self.summary,
            duplicate_of=duplicate_of,
            duplicate_of_reference=reference,
        )


class IncidentClose(CommandBody):
    command = CloseIncident
    __annotations__ = body_fields(command)


class PageAcknowledge(CommandBody):
    command = AcknowledgePage
    __annotations__ = body_fields(command)


class IncidentReopen(CommandBody):
    """Reopen a resolved incident, because the fix did not hold; or a closed one, within
    `IRM_REOPEN_CLOSED_WINDOW` of its closing (the IC of record or an admin)."""

    command = ReopenIncident
    reason: Text

    async def command_for(self, services: Services, **path: str) -> Any:
        """The command, with this API's reopen window for a closed incident."""
        return ReopenIncident(reason=self.reason, closed_window=services.reopen_closed_window)


class ImpactWindowChange(CommandBody):
    command = SetImpactWindow
    __annotations__ = body_fields(command)


class TimelineEntryCreate(CommandBody):
    command = AddTimelineEntry
    __annotations__ = body_fields(command)


class TicketRead(BaseModel):
    """A linked ticket."""

    system: str
    key: str
    url: str | None


class LinkRead(BaseModel):
    """A link to another incident, as this incident records it."""

    other_id: UUID
    other_reference: str = Field(description="INC-<number> of the other incident.")
    relation: Literal["related", "caused_by", "duplicate_of"]
    direction: Literal["to", "from"] = Field(
        description='"to": this incident <relation> the other; "from": the other <relation> '
        "this incident."
    )


class LinkCreate(BaseModel):
    """Link this incident to another: this incident <relation> `incident`."""

    model_config = ConfigDict(extra="forbid")

    incident: str = Field(
        pattern=INCIDENT_KEY_PATTERN,
        description="The other incident, by reference (INC-7) or id.",
        examples=["INC-7"],
    )
    relation: Literal["related", "caused_by", "duplicate_of"]


class IncidentRead(BaseModel):
    """An incident's current state."""

    id: UUID
    number: int
    reference: str = Field(description="INC-<number>")
    title: str
    description: str | None
    status: str
    severity: str | None
    peak_severity: str | None = Field(
        description="The highest severity the incident has had; the review rules follow it."
    )
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
    started_at: datetime | None = Field(description="When the impact began, where known.")
    detected_at: datetime | None = Field(description="When someone noticed it, where known.")
    version: int
    links: list[LinkRead] = Field(description="Links to other incidents, both directions.")

    @classmethod
    def of(cls, incident: Incident, **more: Any) -> Self:
        """The representation of an aggregate (with the fields a subclass adds in `more`)."""
        return copied(
            cls,
            incident,
            declared_at=incident.created_on,
            updated_at=incident.modified_on,
            **more,
        )


class IncidentCommandResult(IncidentRead):
    """The state after a command, with the log position of the command's last event."""

    position: int = Field(description="Pass as min_position to read your own write.")

    @classmethod
    def from_outcome(cls, outcome: CommandOutcome) -> Self:
        """The answer to a command."""
        return cls.of(outcome.incident, position=outcome.position)


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


def copied(model: type[Model], source: object, **values: Any) -> Model:
    """A `model` whose fields are the same-named attributes of `source`, but those in `values`.

    A field whose type is a model is copied the same way from the object in that attribute.
    """
    return model.model_validate(
        {
            name: values[name] if name in values else getattr(source, name)
            for name in model.model_fields
        },
        from_attributes=True,
    )
