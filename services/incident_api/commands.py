"""The commands of the incident process, one frozen dataclass each.

A command's fields are exactly the keyword arguments of the `Incident` method it calls, which
`@command(Incident.method)` names, so running one is `command.apply(incident, actor)`. The
field types carry the limits a request is checked against (`command_fields`); the API's
request bodies are built from these classes, so each field list is written once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, dataclass_transform
from uuid import UUID

from services.incident_api.command_fields import (
    Criteria,
    DueDate,
    FirstDueDate,
    Moment,
    Name,
    Note,
    ServiceNames,
    Text,
    Title,
    UpdateBody,
    Url,
)
from shared.domain.incident import Incident
from shared.domain.review import FactorCategory
from shared.domain.values import (
    REOPEN_CLOSED_WINDOW,
    Actor,
    Audience,
    Resolution,
    Role,
    Severity,
    UpdateKind,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def arguments(command: DataclassInstance) -> dict[str, Any]:
    """A command's fields by name: the keyword arguments of what it calls."""
    return {f.name: getattr(command, f.name) for f in fields(command)}


def people_named(command: DeclareIncident | IncidentCommand) -> dict[str, str]:
    """The people a command names, by field (trimmed, as the domain records them)."""
    named = {name: getattr(command, name) for name in command.people}
    return {name: value.strip() for name, value in named.items() if isinstance(value, str)}


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclareIncident:
    """Declare an incident."""

    title: Title
    description: Note | None = None
    criteria: Criteria
    severity: Severity | None = None
    services: ServiceNames = field(default_factory=list)
    owner: Name | None = None

    people: ClassVar[tuple[str, ...]] = ("owner",)
    """Fields that name a person, who must be known (`shared.people`)."""
    started_at: Moment | None = None
    detected_at: Moment | None = None

    def start(self, actor: Actor, number: int) -> Incident:
        """The new incident, numbered `number`, declared by `actor`."""
        return Incident.declare(actor=actor, number=number, **arguments(self))


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentCommand:
    """A change to one existing incident, made by calling one of its command methods."""

    calls: ClassVar[Callable[..., str | None]]
    people: ClassVar[tuple[str, ...]] = ()
    """Fields that name a person, who must be known (`shared.people`)."""

    def apply(self, incident: Incident, actor: Actor) -> str | None:
        """Run the command on `incident`; what the method returns (a new follow-up's id)."""
        return type(self).calls(incident, actor, **arguments(self))


Command = TypeVar("Command", bound=IncidentCommand)


@dataclass_transform(frozen_default=True, kw_only_default=True)
def command(calls: Callable[..., str | None]) -> Callable[[type[Command]], type[Command]]:
    """Make the class a command (a frozen dataclass) that runs by calling `calls`."""

    def make(cls: type[Command]) -> type[Command]:
        made = dataclass(frozen=True, slots=True, kw_only=True)(cls)
        made.calls = calls
        return made

    return make


# --- running the incident ----------------------------------------------------------------


@command(Incident.assign_role)
class AssignRole(IncidentCommand):
    """Assign or hand over a role."""

    role: Role
    assignee: Name
    note: Note | None = None

    people = ("assignee",)


@command(Incident.unassign_role)
class UnassignRole(IncidentCommand):
    """Stand a Communications or Operations Lead down, leaving the role empty."""

    role: Role
    note: Note | None = None


@command(Incident.edit_details)
class EditDetails(IncidentCommand):
    """Correct the title, description or services: only the fields in `changes`."""

    changes: dict[str, Any]


@command(Incident.change_severity)
class ChangeSeverity(IncidentCommand):
    """Change the severity, with the reason."""

    severity: Severity
    reason: Text


@command(Incident.assess_impact)
class AssessImpact(IncidentCommand):
    """Record impact and scope."""

    impact: Text
    scope: Text


@command(Incident.link_ticket)
class LinkTicket(IncidentCommand):
    """Link a support-system ticket."""

    system: Name
    key: Name
    url: Url | None = None


@command(Incident.post_update)
class PostUpdate(IncidentCommand):
    """Post an internal or customer update; a customer `final` notice after the resolution."""

    audience: Audience
    body: UpdateBody
    kind: UpdateKind = UpdateKind.REGULAR


@command(Incident.escalate)
class Escalate(IncidentCommand):
    """Escalate internally."""

    target: Name
    reason: Text


@command(Incident.resolve)
class ResolveIncident(IncidentCommand):
    """Resolve the incident."""

    resolution: Resolution
    summary: Text
    # The incident this one duplicates, found by the API from the body's `duplicate_of` key
    # (`schemas.IncidentResolve`): the domain sees one incident.
    duplicate_of: UUID | None = None
    duplicate_of_reference: str | None = None


@command(Incident.close)
class CloseIncident(IncidentCommand):
    """Close a resolved incident: the IC's confirmation. Takes no fields."""


@command(Incident.acknowledge)
class AcknowledgePage(IncidentCommand):
    """Acknowledge a page: the paged person stops the escalation and, with no Incident
    Commander named yet, becomes the owner. Takes no fields."""


@command(Incident.reopen)
class ReopenIncident(IncidentCommand):
    """Reopen a resolved incident, or a closed one within the reopen window."""

    reason: Text
    # The API's `IRM_REOPEN_CLOSED_WINDOW` (`schemas.IncidentReopen`), not a body field.
    closed_window: timedelta = REOPEN_CLOSED_WINDOW


# --- the post-incident review ------------------------------------------------------------


@command(Incident.start_postmortem)
class StartPostmortem(IncidentCommand):
    """Start the review."""

    facilitator: Name


@command(Incident.record_root_cause)
class RecordRootCause(IncidentCommand):
    """Record the root cause."""

    text: Text


@command(Incident.add_contributing_factor)
class AddContributingFactor(IncidentCommand):
    """Add a contributing factor."""

    text: Text
    category: FactorCategory


@command(Incident.add_recommendation)
class AddRecommendation(IncidentCommand):
    """Add a preventive recommendation."""

    text: Text


@command(Incident.add_follow_up)
class AddFollowUp(IncidentCommand):
    """Add a follow-up action."""

    title: Title
    owner: Name
    due_date: FirstDueDate
    ticket: Name | None = None


@command(Incident.complete_follow_up)
class CompleteFollowUp(IncidentCommand):
    """Complete a follow-up."""

    follow_up_id: str
    note: Note | None = None


@command(Incident.reassign_follow_up)
class ReassignFollowUp(IncidentCommand):
    """Give a follow-up to someone else."""

    follow_up_id: str
    owner: Name


@command(Incident.change_follow_up_due_date)
class ChangeFollowUpDueDate(IncidentCommand):
    """Move a follow-up's due date."""

    follow_up_id: str
    due_date: DueDate
    reason: Text


@command(Incident.publish_postmortem)
class PublishPostmortem(IncidentCommand):
    """Publish the review."""

    no_follow_up_reason: Note | None = None


# --- correcting the review (issue 11) ------------------------------------------------------


@command(Incident.edit_contributing_factor)
class EditContributingFactor(IncidentCommand):
    """Correct a contributing factor's text or category (a field left out keeps its value)."""

    factor_id: str
    text: Text | None = None
    category: FactorCategory | None = None


@command(Incident.withdraw_contributing_factor)
class WithdrawContributingFactor(IncidentCommand):
    """Withdraw a contributing factor, with the reason."""

    factor_id: str
    reason: Text


@command(Incident.edit_recommendation)
class EditRecommendation(IncidentCommand):
    """Correct a recommendation's text."""

    recommendation_id: str
    text: Text


@command(Incident.withdraw_recommendation)
class WithdrawRecommendation(IncidentCommand):
    """Withdraw a recommendation, with the reason."""

    recommendation_id: str
    reason: Text


@command(Incident.cancel_follow_up)
class CancelFollowUp(IncidentCommand):
    """Cancel a follow-up that is no longer needed, with the reason."""

    follow_up_id: str
    reason: Text


@command(Incident.amend_postmortem)
class AmendPostmortem(IncidentCommand):
    """Reopen a published review for edits, with the reason."""

    reason: Text


# --- facts that happened outside the tool --------------------------------------------------


@command(Incident.set_impact_window)
class SetImpactWindow(IncidentCommand):
    """Set or correct when the impact began and when someone noticed it (a moment left out
    keeps its value)."""

    started_at: Moment | None = None
    detected_at: Moment | None = None


@command(Incident.add_timeline_entry)
class AddTimelineEntry(IncidentCommand):
    """Record something that happened outside the tool, at the moment it happened."""

    occurred_at: Moment
    text: Text
