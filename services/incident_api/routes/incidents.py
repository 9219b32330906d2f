"""The incident resource: declare, the commands of the process, and the stored events.

GET /v1/incidents/{id} (the read model) lives in `incident_queries`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from services.incident_api.deps import Reader, ServicesDep, Writer
from services.incident_api.etag import etag
from services.incident_api.openapi_responses import (
    APPEND,
    BODY,
    DECLARE,
    INCIDENT_LOOKUP,
    LINK,
    NAMES_INCIDENT,
    NAMES_PEOPLE,
    PARAMETERS,
    READ,
    WRITE,
    answers,
)
from services.incident_api.plain_text import PLAIN_TEXT
from services.incident_api.references import IncidentKey, incident_named, other_incident
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.routes.command_routes import CommandRoute, add_command_routes
from services.incident_api.schemas import (
    DetailsEdit,
    EscalationCreate,
    EventList,
    EventRead,
    ImpactAssess,
    ImpactWindowChange,
    IncidentClose,
    IncidentCommandResult,
    IncidentCreate,
    IncidentReopen,
    IncidentResolve,
    LinkCreate,
    PageAcknowledge,
    RoleAssign,
    RoleUnassign,
    SeverityChange,
    TicketLink,
    TimelineEntryCreate,
    UpdatePost,
)
from shared.domain.events import event_actor, event_data, event_name

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], route_class=CheckedRoute)

IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Repeat a declare safely: same key, same incident."),
    PLAIN_TEXT,
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(
        WRITE,
        BODY,
        APPEND,
        DECLARE,
        status=status.HTTP_201_CREATED,
        headers=("Location", "ETag", "Idempotent-Replayed"),
    ),
)
async def declare_incident(
    body: IncidentCreate,
    actor: Writer,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> IncidentCommandResult:
    """Declare an incident; the owner (default: you) acts as IC until one is assigned."""
    outcome = await services.commands.declare(
        body.to_command(), actor, idempotency_key=idempotency_key
    )
    response.headers["Location"] = f"/v1/incidents/{outcome.incident.id}"
    response.headers["ETag"] = etag(outcome.incident.version)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return IncidentCommandResult.from_outcome(outcome)


@router.get("/{incident_id}/events", responses=answers(READ, PARAMETERS, INCIDENT_LOOKUP))
async def list_events(incident_id: IncidentKey, _: Reader, services: ServicesDep) -> EventList:
    """Every stored event of the incident, in order, exactly as recorded."""
    found = await incident_named(services, incident_id)
    recorded = await services.store.read_stream(found)
    if not recorded:
        await services.commands.load(found)  # raises the 404
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


@router.post("/{incident_id}/links", responses=answers(LINK, headers=("ETag",)))
async def link_incident(
    incident_id: IncidentKey,
    body: LinkCreate,
    actor: Writer,
    services: ServicesDep,
    response: Response,
) -> IncidentCommandResult:
    """Link this incident to another (this incident <relation> `incident`), acting IC only:
    both incidents record the link, together, and each lists it (direction "to" here, "from"
    on the other)."""
    found = await incident_named(services, incident_id)
    other_id, _ = await other_incident(services, "incident", body.incident)
    outcome = await services.commands.link(found, other_id, body.relation, actor)
    response.headers["ETag"] = etag(outcome.incident.version)
    return IncidentCommandResult.from_outcome(outcome)


add_command_routes(
    router,
    [
        CommandRoute(
            "/{incident_id}/roles",
            "assign_role",
            "Assign a role, or hand it over from its current holder with a note; the assignee "
            "must be a known person (GET /v1/people).",
            RoleAssign,
            problems=NAMES_PEOPLE,
        ),
        CommandRoute(
            "/{incident_id}/roles/{role}",
            "unassign_role",
            "Stand a Communications or Operations Lead down (acting IC only), with an optional "
            "note; the Incident Commander role can only be handed over.",
            RoleUnassign,
            optional_body=True,
            path_ids=("role",),
            method="DELETE",
        ),
        CommandRoute(
            "/{incident_id}",
            "edit_details",
            "Correct the title, description or services (acting IC or Communications Lead); "
            "fields left out stay as they are, a null description clears it.",
            DetailsEdit,
            method="PATCH",
        ),
        CommandRoute(
            "/{incident_id}/severity",
            "change_severity",
            "Change the severity (acting IC only), with the reason.",
            SeverityChange,
        ),
        CommandRoute(
            "/{incident_id}/impact",
            "assess_impact",
            "Record impact and scope (acting IC only).",
            ImpactAssess,
        ),
        CommandRoute(
            "/{incident_id}/tickets",
            "link_ticket",
            "Link the incident's ticket in a support system.",
            TicketLink,
        ),
        CommandRoute(
            "/{incident_id}/updates",
            "post_update",
            "Post an internal update (anyone) or a customer update (CL or acting IC).",
            UpdatePost,
        ),
        CommandRoute(
            "/{incident_id}/escalations",
            "escalate",
            "Escalate internally (acting IC only).",
            EscalationCreate,
        ),
        CommandRoute(
            "/{incident_id}/resolve",
            "resolve",
            "Resolve an open incident (acting IC only); a duplicate names the incident it "
            "duplicates.",
            IncidentResolve,
            problems=NAMES_INCIDENT,
        ),
        CommandRoute(
            "/{incident_id}/close",
            "close",
            "Confirm the resolution and close (acting IC only).",
            IncidentClose,
            optional_body=True,
        ),
        CommandRoute(
            "/{incident_id}/acknowledge",
            "acknowledge",
            "Acknowledge a page (a person paged for the incident only): paging stops and, with "
            "no Incident Commander named yet, the acknowledger becomes the owner and so the "
            "acting IC.",
            PageAcknowledge,
            optional_body=True,
        ),
        CommandRoute(
            "/{incident_id}/reopen",
            "reopen",
            "Reopen a resolved incident (acting IC only), with the reason.",
            IncidentReopen,
        ),
        CommandRoute(
            "/{incident_id}/impact-window",
            "set_impact_window",
            "Set or correct when the impact began (started_at) and when someone noticed it "
            "(detected_at), acting IC only; neither after the declaration.",
            ImpactWindowChange,
        ),
        CommandRoute(
            "/{incident_id}/timeline-entries",
            "add_timeline_entry",
            "Record something that happened outside the tool at occurred_at (not in the "
            "future); the timeline places it there, marked as added later.",
            TimelineEntryCreate,
        ),
    ],
    result=IncidentCommandResult,
    if_match_description='Expected version, e.g. "3"; a stale one gets 412.',
)
