"""Escalation policies and the service catalogue: admins define them, anyone reads them.

A policy names whom to page at each level (schedules or people); a service names its team,
its schedule and its escalation policy. What they name must exist when they are defined:
`422 unknown-schedule`, `unknown-escalation-policy` or `unknown-person` otherwise.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from fastapi import APIRouter, Response, status

from services.incident_api.catalogue_schemas import (
    EscalationPolicyCreate,
    EscalationPolicyList,
    EscalationPolicyRead,
    PersonTarget,
    ServiceCreate,
    ServiceList,
    ServiceRead,
)
from services.incident_api.deps import Admin, Reader, ServicesDep
from services.incident_api.errors import UnknownPersonError
from services.incident_api.openapi_responses import (
    ADMIN,
    BODY,
    NAMES_PEOPLE,
    PARAMETERS,
    READ,
    ProblemSet,
    answers,
)
from services.incident_api.problems import ProblemError
from services.incident_api.request_checks import CheckedRoute
from shared.oncall.events import EscalationPolicyCreated, ServiceCreated
from shared.oncall.store import NameTakenError, StreamType, append, read_stream, read_streams
from shared.oncall.store import stream_exists as exists
from shared.people import unknown_handles

policies = APIRouter(prefix="/v1/escalation-policies", tags=["on-call"], route_class=CheckedRoute)
catalogue = APIRouter(prefix="/v1/services", tags=["on-call"], route_class=CheckedRoute)

NAMES_SCHEDULE: ProblemSet = ((422, "unknown-schedule"),)
NAMES_POLICY: ProblemSet = ((422, "unknown-escalation-policy"),)
POLICY_LOOKUP: ProblemSet = ((404, "escalation-policy-not-found"),)
SERVICE_LOOKUP: ProblemSet = ((404, "service-not-found"),)
SERVICE_EXISTS: ProblemSet = ((409, "service-exists"),)

_NAMED = {
    "schedule": ("unknown-schedule", "Unknown schedule"),
    "escalation_policy": ("unknown-escalation-policy", "Unknown escalation policy"),
}


async def _must_exist(
    services: ServicesDep, stream_id: UUID, stream_type: StreamType, field: str
) -> None:
    if not await exists(services.pool, stream_id, stream_type):
        slug, title = _NAMED[stream_type]
        raise ProblemError(
            422,
            slug,
            title,
            f"{field}: no {stream_type.replace('_', ' ')} {stream_id}",
            field=field,
        )


@policies.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(ADMIN, BODY, NAMES_SCHEDULE, NAMES_PEOPLE, status=201, headers=("Location",)),
)
async def create_policy(
    body: EscalationPolicyCreate, actor: Admin, services: ServicesDep, response: Response
) -> EscalationPolicyRead:
    """Define an escalation policy."""
    for index, level in enumerate(body.levels):
        for place, target in enumerate(level.targets):
            field = f"levels[{index}].targets[{place}]"
            if isinstance(target, PersonTarget):
                if await unknown_handles(services.pool, [target.handle]):
                    raise UnknownPersonError(f"{field}.handle", target.handle)
            else:
                await _must_exist(services, target.id, "schedule", f"{field}.id")
    policy_id = uuid.uuid4()
    event = EscalationPolicyCreated(
        name=body.name,
        repeat=body.repeat,
        levels=[level.model_dump(mode="json") for level in body.levels],
    )
    recorded = await append(
        services.pool, policy_id, "escalation_policy", event, version=1, actor=actor.principal
    )
    response.headers["Location"] = f"/v1/escalation-policies/{policy_id}"
    return EscalationPolicyRead.of(recorded)


@policies.get("", responses=answers(READ))
async def list_policies(_: Reader, services: ServicesDep) -> EscalationPolicyList:
    """Every escalation policy, oldest first."""
    streams = await read_streams(services.pool, "escalation_policy")
    return EscalationPolicyList(items=[EscalationPolicyRead.of(r[-1]) for r in streams.values()])


@policies.get("/{policy_id}", responses=answers(READ, PARAMETERS, POLICY_LOOKUP))
async def read_policy(policy_id: UUID, _: Reader, services: ServicesDep) -> EscalationPolicyRead:
    """One escalation policy."""
    recorded = await read_stream(services.pool, policy_id, "escalation_policy")
    if not recorded:
        raise ProblemError(
            404,
            "escalation-policy-not-found",
            "Escalation policy not found",
            f"no escalation policy {policy_id}",
        )
    return EscalationPolicyRead.of(recorded[-1])


@catalogue.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(
        ADMIN,
        BODY,
        NAMES_SCHEDULE,
        NAMES_POLICY,
        SERVICE_EXISTS,
        status=201,
        headers=("Location",),
    ),
)
async def create_service(
    body: ServiceCreate, actor: Admin, services: ServicesDep, response: Response
) -> ServiceRead:
    """Add a service to the catalogue."""
    if body.schedule is not None:
        await _must_exist(services, body.schedule, "schedule", "schedule")
    if body.escalation_policy is not None:
        await _must_exist(
            services, body.escalation_policy, "escalation_policy", "escalation_policy"
        )
    service_id = uuid.uuid4()
    event = ServiceCreated(
        name=body.name,
        team=body.team,
        schedule=None if body.schedule is None else str(body.schedule),
        escalation_policy=None if body.escalation_policy is None else str(body.escalation_policy),
    )
    try:
        recorded = await append(
            services.pool, service_id, "service", event, version=1, actor=actor.principal
        )
    except NameTakenError as taken:
        raise ProblemError(
            409, "service-exists", "The service exists already", str(taken), name=body.name
        ) from None
    response.headers["Location"] = f"/v1/services/{service_id}"
    return ServiceRead.of(recorded)


@catalogue.get("", responses=answers(READ))
async def list_services(_: Reader, services: ServicesDep) -> ServiceList:
    """The service catalogue, by name."""
    streams = await read_streams(services.pool, "service")
    items = [ServiceRead.of(r[-1]) for r in streams.values()]
    return ServiceList(items=sorted(items, key=lambda s: s.name))


@catalogue.get("/{service_id}", responses=answers(READ, PARAMETERS, SERVICE_LOOKUP))
async def read_service(service_id: UUID, _: Reader, services: ServicesDep) -> ServiceRead:
    """One service of the catalogue."""
    recorded = await read_stream(services.pool, service_id, "service")
    if not recorded:
        raise ProblemError(
            404, "service-not-found", "Service not found", f"no service {service_id}"
        )
    return ServiceRead.of(recorded[-1])
