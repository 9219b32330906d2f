"""Integrations: admins create them (the key is answered once) and read what they sent;
Alertmanager and Grafana send alerts with the integration's key.

Every payload an integration sends is stored as it arrived before it is read, and its outcome
written after: a malformed one answers `400 malformed-payload` and stays stored, as
`GET /v1/integrations/{id}/deliveries` shows. A request without a valid key stores nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.incident_api.alert_intake import AlertIntake
from services.incident_api.alert_payloads import (
    AlertGroup,
    MalformedPayloadError,
    read_alertmanager,
    read_grafana,
)
from services.incident_api.deps import Admin, ServicesDep
from services.incident_api.integration_schemas import (
    DeliveryList,
    DeliveryRead,
    IntakeRead,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationList,
    IntegrationRead,
)
from services.incident_api.integrations import (
    Integration,
    create_integration,
    find_by_key,
    finish,
    get_integration,
    list_deliveries,
    list_integrations,
    receive,
)
from services.incident_api.openapi_responses import (
    ADMIN,
    ANY_BODY,
    BODY,
    PARAMETERS,
    ProblemSet,
    answers,
)
from services.incident_api.problems import ProblemError
from services.incident_api.request_checks import CheckedRoute
from shared.domain.errors import DomainError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/integrations", tags=["integrations"], route_class=CheckedRoute)
# The intake reads the body itself, as bytes, so that it is stored before anything parses it
# (CheckedRoute checks only the query of such a route: its UTF-8 check is of `request.json()`).
intake = APIRouter(prefix="/v1/integrations", tags=["integrations"], route_class=CheckedRoute)

INTEGRATION_LOOKUP: ProblemSet = ((404, "integration-not-found"),)
INTAKE: ProblemSet = (
    (400, "invalid-query-parameter"),
    (400, "unknown-query-parameter"),
    (400, "malformed-payload"),
    (401, "unauthorized"),
    (422, "alert-refused"),
    (422, "validation-error"),
    (429, "too-many-failed-logins"),
    (503, "database-unavailable"),
    (503, "store-busy"),
    *ANY_BODY,
)

_key_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="IntegrationKey",
    description="The integration's key (`irmi_…`), from `POST /v1/integrations`.",
)
_READERS: Final = {"alertmanager": read_alertmanager, "grafana": read_grafana}

_STRING_MAP: Final = {"type": "object", "additionalProperties": {"type": "string"}}
_ALERT: Final = {
    "type": "object",
    "required": ["status", "labels"],
    "properties": {
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "startsAt": {"type": "string"},
        "endsAt": {"type": "string"},
        "generatorURL": {"type": "string"},
        "fingerprint": {"type": "string"},
    },
}


def _payload_schema(required: list[str], **properties: Any) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": [*required, "status", "alerts"],
        "properties": {
            **properties,
            "status": {"type": "string", "enum": ["firing", "resolved"]},
            "receiver": {"type": "string"},
            "groupLabels": _STRING_MAP,
            "commonLabels": _STRING_MAP,
            "commonAnnotations": _STRING_MAP,
            "externalURL": {"type": "string"},
            "alerts": {"type": "array", "minItems": 1, "items": _ALERT},
        },
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(ADMIN, BODY, status=201, headers=("Location", "Cache-Control")),
)
async def create(
    body: IntegrationCreate, actor: Admin, services: ServicesDep, response: Response
) -> IntegrationCreated:
    """Create an integration; the answer carries its key, shown only this once."""
    integration, key = await create_integration(
        services.pool,
        type_=body.type,
        name=body.name,
        rules=body.rules,
        created_by=actor.principal,
    )
    response.headers["Location"] = f"/v1/integrations/{integration.id}"
    response.headers["Cache-Control"] = "no-store"
    return IntegrationCreated(**IntegrationRead.of(integration).model_dump(), key=key)


@router.get("", responses=answers(ADMIN))
async def list_all(_: Admin, services: ServicesDep) -> IntegrationList:
    """Every integration, oldest first (without keys)."""
    found = await list_integrations(services.pool)
    return IntegrationList(items=[IntegrationRead.of(i) for i in found])


@router.get("/{integration_id:uuid}", responses=answers(ADMIN, PARAMETERS, INTEGRATION_LOOKUP))
async def read_one(integration_id: UUID, _: Admin, services: ServicesDep) -> IntegrationRead:
    """One integration (without its key)."""
    return IntegrationRead.of(await _found(services, integration_id))


@router.get(
    "/{integration_id:uuid}/deliveries", responses=answers(ADMIN, PARAMETERS, INTEGRATION_LOOKUP)
)
async def deliveries(
    integration_id: UUID,
    _: Admin,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> DeliveryList:
    """What the integration sent, newest first, and what became of each payload."""
    await _found(services, integration_id)
    found = await list_deliveries(services.pool, integration_id, limit=limit, before=before)
    items = [DeliveryRead.of(d) for d in found]
    return DeliveryList(items=items, next_before=items[-1].id if len(items) == limit else None)


async def _found(services: ServicesDep, integration_id: UUID) -> Integration:
    integration = await get_integration(services.pool, integration_id)
    if integration is None:
        raise ProblemError(
            404,
            "integration-not-found",
            "Integration not found",
            f"no integration {integration_id}",
        )
    return integration


KeyParam = Annotated[
    str | None,
    Query(max_length=200, description="The integration's key, where a bearer token cannot go."),
]
KeyCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_key_bearer)]


@intake.post(
    "/alertmanager",
    responses=answers(INTAKE),
    openapi_extra=_payload_schema(
        ["version", "groupKey"],
        version={"type": "string", "enum": ["4"]},
        groupKey={"type": "string", "minLength": 1},
        truncatedAlerts={"type": "integer", "minimum": 0},
    ),
)
async def from_alertmanager(
    request: Request, services: ServicesDep, credentials: KeyCredentials, key: KeyParam = None
) -> IntakeRead:
    """Take Alertmanager's webhook notification (payload version 4) as Alertmanager sends it."""
    return await _take(request, services, "alertmanager", credentials, key)


@intake.post(
    "/grafana",
    responses=answers(INTAKE),
    openapi_extra=_payload_schema(
        [], groupKey={"type": "string"}, orgId={"type": "integer"}, title={"type": "string"}
    ),
)
async def from_grafana(
    request: Request, services: ServicesDep, credentials: KeyCredentials, key: KeyParam = None
) -> IntakeRead:
    """Take Grafana's alerting webhook notification as Grafana sends it."""
    return await _take(request, services, "grafana", credentials, key)


async def _take(
    request: Request,
    services: ServicesDep,
    type_: str,
    credentials: HTTPAuthorizationCredentials | None,
    key: str | None,
) -> IntakeRead:
    integration = await _keyed(request, services, type_, credentials, key)
    body = await request.body()
    delivery = await receive(
        services.pool, integration.id, body, request.headers.get("content-type")
    )
    try:
        group: AlertGroup = _READERS[type_](body)
    except MalformedPayloadError as bad:
        await finish(services.pool, delivery, "malformed", {"error": bad.detail})
        raise ProblemError(
            400,
            "malformed-payload",
            f"Not a {type_} notification irm can read",
            bad.detail,
            delivery=delivery,
            errors=bad.errors,
        ) from None
    try:
        outcome = await _intake(request, services).handle(integration, group)
    except DomainError as refused:
        await finish(services.pool, delivery, "refused", {"error": str(refused)})
        raise ProblemError(
            422,
            "alert-refused",
            "The alert group cannot be recorded",
            str(refused),
            delivery=delivery,
        ) from None
    await finish(services.pool, delivery, outcome.outcome, outcome.as_detail())
    return IntakeRead.of(delivery, outcome)


async def _keyed(
    request: Request,
    services: ServicesDep,
    type_: str,
    credentials: HTTPAuthorizationCredentials | None,
    key: str | None,
) -> Integration:
    """The integration whose key came as a bearer token or `?key=`; failures count towards
    the address's failed authentications, as tokens' do."""
    failures = services.tokens.failures
    address = request.client.host if request.client is not None else "unknown"
    wait = failures.retry_after(address)
    if wait is not None:
        raise ProblemError(
            429,
            "too-many-failed-logins",
            "Too many failed authentications",
            f"too many failed authentications from this address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    given = credentials.credentials if credentials is not None else key
    integration = None if not given else await find_by_key(services.pool, given, type_)
    if integration is None:
        failures.record(address)
        log.warning("refused a %s notification from %s: no valid integration key", type_, address)
        raise ProblemError(
            401,
            "unauthorized",
            "Authentication required",
            f"send the key of a {type_} integration as a bearer token or ?key=",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return integration


def _intake(request: Request, services: ServicesDep) -> AlertIntake:
    """The app's one alert intake (it limits how many groups are handled at once)."""
    state = request.app.state
    if getattr(state, "alert_intake", None) is None:
        state.alert_intake = AlertIntake(services.pool, services.commands)
    found: AlertIntake = state.alert_intake
    return found
