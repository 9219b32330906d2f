"""The post-incident review: start it, record what was learned, track follow-ups, publish."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from services.incident_api.deps import Reader, ServicesDep
from services.incident_api.etag import etag
from services.incident_api.openapi_responses import (
    FACTOR_LOOKUP,
    FOLLOW_UP_LOOKUP,
    INCIDENT_LOOKUP,
    PARAMETERS,
    READ,
    RECOMMENDATION_LOOKUP,
    answers,
)
from services.incident_api.postmortem import render_postmortem
from services.incident_api.postmortem_schemas import (
    FACTOR,
    FOLLOW_UP,
    RECOMMENDATION,
    ContributingFactor,
    ContributingFactorEdit,
    ContributingFactorWithdraw,
    FollowUpCancel,
    FollowUpComplete,
    FollowUpCreate,
    FollowUpDueDate,
    FollowUpReassign,
    PostmortemAmend,
    PostmortemPublish,
    PostmortemRead,
    PostmortemStart,
    Recommendation,
    RecommendationEdit,
    RecommendationWithdraw,
    ReviewCommandResult,
    ReviewRead,
    RootCause,
)
from services.incident_api.references import IncidentKey, incident_named
from services.incident_api.request_checks import CheckedRoute
from services.incident_api.routes.command_routes import CommandRoute, add_command_routes
from services.incident_api.routes.markdown import Accept, markdown, wants_markdown
from services.incident_api.schemas import copied

router = APIRouter(
    prefix="/v1/incidents/{incident_id}/postmortem",
    tags=["post-incident review"],
    route_class=CheckedRoute,
)

add_command_routes(
    router,
    [
        CommandRoute(
            "",
            "start_postmortem",
            "Start the review of a resolved or closed incident (acting IC).",
            PostmortemStart,
        ),
        CommandRoute(
            "/root-cause",
            "record_root_cause",
            "Record the root cause; the latest wins, every version stays in the log.",
            RootCause,
        ),
        CommandRoute(
            "/contributing-factors",
            "add_contributing_factor",
            "Add a contributing factor with its category.",
            ContributingFactor,
        ),
        CommandRoute(
            "/recommendations",
            "add_recommendation",
            "Add a preventive recommendation.",
            Recommendation,
        ),
        CommandRoute(
            "/follow-ups",
            "add_follow_up",
            "Add a follow-up action; the answer carries its `follow_up_id`.",
            FollowUpCreate,
        ),
        CommandRoute(
            "/follow-ups/{follow_up_id}/complete",
            "complete_follow_up",
            "Mark a follow-up done (its owner, the facilitator or the IC).",
            FollowUpComplete,
            path_ids=FOLLOW_UP,
            problems=FOLLOW_UP_LOOKUP,
        ),
        CommandRoute(
            "/follow-ups/{follow_up_id}/reassign",
            "reassign_follow_up",
            "Give a follow-up to a new owner.",
            FollowUpReassign,
            path_ids=FOLLOW_UP,
            problems=FOLLOW_UP_LOOKUP,
        ),
        CommandRoute(
            "/follow-ups/{follow_up_id}/due-date",
            "change_follow_up_due_date",
            "Move a follow-up's due date, with the reason.",
            FollowUpDueDate,
            path_ids=FOLLOW_UP,
            problems=FOLLOW_UP_LOOKUP,
        ),
        CommandRoute(
            "/publish",
            "publish_postmortem",
            "Publish: needs a root cause and a follow-up or a reason why none is needed.",
            PostmortemPublish,
        ),
        CommandRoute(
            "/contributing-factors/{factor_id}",
            "edit_contributing_factor",
            "Correct a contributing factor's text or category (by its number).",
            ContributingFactorEdit,
            path_ids=FACTOR,
            problems=FACTOR_LOOKUP,
            method="PATCH",
        ),
        CommandRoute(
            "/contributing-factors/{factor_id}",
            "withdraw_contributing_factor",
            "Withdraw a contributing factor, with the reason.",
            ContributingFactorWithdraw,
            path_ids=FACTOR,
            problems=FACTOR_LOOKUP,
            method="DELETE",
        ),
        CommandRoute(
            "/recommendations/{recommendation_id}",
            "edit_recommendation",
            "Correct a recommendation's text (by its number).",
            RecommendationEdit,
            path_ids=RECOMMENDATION,
            problems=RECOMMENDATION_LOOKUP,
            method="PATCH",
        ),
        CommandRoute(
            "/recommendations/{recommendation_id}",
            "withdraw_recommendation",
            "Withdraw a recommendation, with the reason.",
            RecommendationWithdraw,
            path_ids=RECOMMENDATION,
            problems=RECOMMENDATION_LOOKUP,
            method="DELETE",
        ),
        CommandRoute(
            "/follow-ups/{follow_up_id}/cancel",
            "cancel_follow_up",
            "Cancel a follow-up that is no longer needed, with the reason (facilitator or IC).",
            FollowUpCancel,
            path_ids=FOLLOW_UP,
            problems=FOLLOW_UP_LOOKUP,
        ),
        CommandRoute(
            "/amend",
            "amend_postmortem",
            "Reopen a published review for edits, with the reason; publish it again after.",
            PostmortemAmend,
        ),
    ],
    result=ReviewCommandResult,
    if_match_description='Expected version, e.g. "7".',
)


@router.get(
    "",
    response_model=PostmortemRead,
    responses=answers(READ, PARAMETERS, INCIDENT_LOOKUP, headers=("ETag",), markdown=True),
)
async def get_postmortem(
    incident_id: IncidentKey,
    _: Reader,
    services: ServicesDep,
    response: Response,
    accept: Accept = None,
) -> PostmortemRead | PlainTextResponse:
    """The review as JSON; with Accept: text/markdown, the whole post-mortem document."""
    incident = await services.commands.load(await incident_named(services, incident_id))
    if wants_markdown(accept):
        events = await services.store.read_stream(incident.id)
        today = datetime.now(tz=UTC).date()
        document = render_postmortem(incident, events, today=today, cadence=services.update_cadence)
        return markdown(document, headers={"ETag": etag(incident.version)})
    response.headers["ETag"] = etag(incident.version)
    return copied(
        PostmortemRead, incident, incident_id=str(incident.id), review=ReviewRead.of(incident)
    )
