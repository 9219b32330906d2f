"""The incident resource: declare, the commands of the process, and the stored events.

GET /v1/incidents/{id} (the read model) lives in `incident_queries`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Response, status

from services.incident_api.command_runner import run_command
from services.incident_api.commands import CommandOutcome
from services.incident_api.deps import Reader, ServicesDep, Writer
from services.incident_api.etag import etag
from services.incident_api.schemas import (
    EscalationCreate,
    EventList,
    EventRead,
    ImpactAssess,
    IncidentClose,
    IncidentCommandResult,
    IncidentCreate,
    IncidentRead,
    IncidentReopen,
    IncidentResolve,
    RoleAssign,
    SeverityChange,
    TicketLink,
    UpdatePost,
)
from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.domain.values import Actor

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

IfMatch = Annotated[
    str | None,
    Header(description='Expected version, e.g. "3"; a stale one gets 412.'),
]
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Repeat a declare safely: same key, same incident."),
]


@router.post("", status_code=status.HTTP_201_CREATED)
async def declare_incident(
    body: IncidentCreate,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> IncidentCommandResult:
    """Declare an incident; the owner (default: you) acts as IC until one is assigned."""
    outcome = await services.commands.declare(actor, body, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/v1/incidents/{outcome.incident.id}"
    response.headers["ETag"] = etag(outcome.incident.version)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _answer(outcome)


@router.get("/{incident_id}/events")
async def list_events(incident_id: UUID, _: Reader, services: ServicesDep) -> EventList:
    """Every stored event of the incident, in order, exactly as recorded."""
    recorded = await services.store.read_stream(incident_id)
    if not recorded:
        await services.repository.get(incident_id)  # raises the 404
    return EventList(
        items=[
            EventRead(
                position=r.position,
                version=r.version,
                type=event_name(r.event),
                occurred_at=r.event.timestamp,
                actor=event_actor(r.event),
                data=event_data(r.event),
            )
            for r in recorded
        ]
    )


@router.post("/{incident_id}/roles")
async def assign_role(
    incident_id: UUID,
    body: RoleAssign,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Assign a role, or hand it over from its current holder with a note."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.assign_role(actor, role=body.role, assignee=body.assignee, note=body.note),
    )


@router.post("/{incident_id}/severity")
async def change_severity(
    incident_id: UUID,
    body: SeverityChange,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Change the severity (acting IC only), with the reason."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.change_severity(actor, severity=body.severity, reason=body.reason),
    )


@router.post("/{incident_id}/impact")
async def assess_impact(
    incident_id: UUID,
    body: ImpactAssess,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Record impact and scope (acting IC only)."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.assess_impact(actor, impact=body.impact, scope=body.scope),
    )


@router.post("/{incident_id}/tickets")
async def link_ticket(
    incident_id: UUID,
    body: TicketLink,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Link the incident's ticket in a support system."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.link_ticket(actor, system=body.system, key=body.key, url=body.url),
    )


@router.post("/{incident_id}/updates")
async def post_update(
    incident_id: UUID,
    body: UpdatePost,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Post an internal update (anyone) or a customer update (CL or acting IC)."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.post_update(actor, audience=body.audience, body=body.body),
    )


@router.post("/{incident_id}/escalations")
async def escalate(
    incident_id: UUID,
    body: EscalationCreate,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Escalate internally (acting IC only)."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.escalate(actor, target=body.target, reason=body.reason),
    )


@router.post("/{incident_id}/resolve")
async def resolve(
    incident_id: UUID,
    body: IncidentResolve,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Resolve an open incident (acting IC only)."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.resolve(actor, resolution=body.resolution, summary=body.summary),
    )


@router.post("/{incident_id}/close")
async def close(
    incident_id: UUID,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    body: Annotated[IncidentClose | None, Body()] = None,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Confirm the resolution and close (acting IC only)."""
    return await _run(services, response, incident_id, actor, if_match, lambda i: i.close(actor))


@router.post("/{incident_id}/reopen")
async def reopen(
    incident_id: UUID,
    body: IncidentReopen,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentCommandResult:
    """Reopen a resolved incident (acting IC only), with the reason."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.reopen(actor, reason=body.reason),
    )


async def _run(
    services: ServicesDep,
    response: Response,
    incident_id: UUID,
    actor: Actor,
    if_match: str | None,
    command: Callable[[Incident], None],
) -> IncidentCommandResult:
    outcome = await run_command(services, response, incident_id, actor, if_match, command)
    return _answer(outcome)


def _answer(outcome: CommandOutcome) -> IncidentCommandResult:
    read = IncidentRead.of(outcome.incident)
    return IncidentCommandResult(**read.model_dump(), position=outcome.position)
