"""The post-incident review: start it, record what was learned, track follow-ups, publish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Response
from fastapi.responses import PlainTextResponse

from services.incident_api.command_runner import run_command
from services.incident_api.deps import Reader, ServicesDep, Writer
from services.incident_api.etag import etag
from services.incident_api.postmortem_schemas import (
    ContributingFactor,
    FollowUpComplete,
    FollowUpCreate,
    FollowUpDueDate,
    FollowUpReassign,
    PostmortemPublish,
    PostmortemRead,
    PostmortemStart,
    Recommendation,
    ReviewCommandResult,
    ReviewRead,
    RootCause,
)
from services.incident_api.schemas import IncidentRead
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.postmortem import render_postmortem

router = APIRouter(prefix="/v1/incidents/{incident_id}/postmortem", tags=["post-incident review"])

IfMatch = Annotated[str | None, Header(description='Expected version, e.g. "7".')]


@router.post("")
async def start_postmortem(
    incident_id: UUID,
    body: PostmortemStart,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Start the review of a resolved or closed incident (acting IC)."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.start_postmortem(actor, facilitator=body.facilitator),
    )


@router.post("/root-cause")
async def record_root_cause(
    incident_id: UUID,
    body: RootCause,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Record the root cause; the latest wins, every version stays in the log."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.record_root_cause(actor, text=body.text),
    )


@router.post("/contributing-factors")
async def add_contributing_factor(
    incident_id: UUID,
    body: ContributingFactor,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Add a contributing factor with its category."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.add_contributing_factor(actor, text=body.text, category=body.category),
    )


@router.post("/recommendations")
async def add_recommendation(
    incident_id: UUID,
    body: Recommendation,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Add a preventive recommendation."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.add_recommendation(actor, text=body.text),
    )


@router.post("/follow-ups")
async def add_follow_up(
    incident_id: UUID,
    body: FollowUpCreate,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Add a follow-up action; the answer carries its `follow_up_id`."""
    added: list[str] = []

    def command(incident: Incident) -> None:
        added[:] = [
            incident.add_follow_up(
                actor,
                title=body.title,
                owner=body.owner,
                due_date=body.due_date,
                ticket=body.ticket,
            )
        ]

    result = await _run(services, response, incident_id, actor, if_match, command)
    return result.model_copy(update={"follow_up_id": added[0]})


@router.post("/follow-ups/{follow_up_id}/complete")
async def complete_follow_up(
    incident_id: UUID,
    follow_up_id: str,
    body: FollowUpComplete,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Mark a follow-up done (its owner, the facilitator or the IC)."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.complete_follow_up(actor, follow_up_id=follow_up_id, note=body.note),
    )


@router.post("/follow-ups/{follow_up_id}/reassign")
async def reassign_follow_up(
    incident_id: UUID,
    follow_up_id: str,
    body: FollowUpReassign,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Give a follow-up to a new owner."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.reassign_follow_up(actor, follow_up_id=follow_up_id, owner=body.owner),
    )


@router.post("/follow-ups/{follow_up_id}/due-date")
async def change_follow_up_due_date(
    incident_id: UUID,
    follow_up_id: str,
    body: FollowUpDueDate,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Move a follow-up's due date, with the reason."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.change_follow_up_due_date(
            actor, follow_up_id=follow_up_id, due_date=body.due_date, reason=body.reason
        ),
    )


@router.post("/publish")
async def publish_postmortem(
    incident_id: UUID,
    body: PostmortemPublish,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewCommandResult:
    """Publish: needs a root cause and a follow-up or a reason why none is needed."""
    return await _run(
        services,
        response,
        incident_id,
        actor,
        if_match,
        lambda i: i.publish_postmortem(actor, no_follow_up_reason=body.no_follow_up_reason),
    )


@router.get(
    "",
    response_model=PostmortemRead,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def get_postmortem(
    incident_id: UUID,
    _: Reader,
    services: ServicesDep,
    response: Response,
    accept: Annotated[str | None, Header()] = None,
) -> PostmortemRead | PlainTextResponse:
    """The review as JSON; with Accept: text/markdown, the whole post-mortem document."""
    incident = await services.repository.get(incident_id)
    if accept and "text/markdown" in accept and "application/json" not in accept:
        events = await services.store.read_stream(incident_id)
        document = render_postmortem(incident, events, today=datetime.now(tz=UTC).date())
        return PlainTextResponse(
            document,
            media_type="text/markdown; charset=utf-8",
            headers={"ETag": etag(incident.version)},
        )
    response.headers["ETag"] = etag(incident.version)
    return PostmortemRead(
        incident_id=str(incident.id),
        reference=incident.display_id,
        title=incident.title,
        version=incident.version,
        review=ReviewRead.of(incident),
    )


async def _run(
    services: ServicesDep,
    response: Response,
    incident_id: UUID,
    actor: Actor,
    if_match: str | None,
    command: Callable[[Incident], None],
) -> ReviewCommandResult:
    outcome = await run_command(services, response, incident_id, actor, if_match, command)
    return ReviewCommandResult(
        **IncidentRead.of(outcome.incident).model_dump(),
        position=outcome.position,
        review=ReviewRead.of(outcome.incident),
    )
