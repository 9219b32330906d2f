"""The people irm knows (`shared.people`): anyone may list them, an admin adds them.

Only a known person may be given an incident role or own an incident, so a typo cannot take
command of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from fastapi import APIRouter, Response, status

from services.incident_api.deps import Admin, Reader, ServicesDep
from services.incident_api.errors import InvalidParameterError
from services.incident_api.openapi_responses import (
    ADMIN,
    BODY,
    PARAMETERS,
    PERSON_EXISTS,
    PERSON_LOOKUP,
    READ,
    SUBSCRIPTION_URL,
    answers,
)
from services.incident_api.people_schemas import (
    ContactMethodIn,
    PersonCreate,
    PersonList,
    PersonRead,
    PersonUpdate,
)
from services.incident_api.problems import ProblemError
from services.incident_api.request_checks import CheckedRoute
from shared.oncall.contacts import (
    ContactTarget,
    contact_methods,
    contact_methods_of,
    set_contact_methods,
)
from shared.people import PersonExistsError, add_person, find_person, list_people, update_person
from shared.webhooks.url_guard import Allowlist, check_url

router = APIRouter(prefix="/v1/people", tags=["people"], route_class=CheckedRoute)


@router.get("", responses=answers(READ))
async def list_known_people(_: Reader, services: ServicesDep) -> PersonList:
    """Everyone who may be given an incident role, by handle, with how to reach them."""
    people = await list_people(services.pool)
    methods = await contact_methods_of(services.pool, [p.handle for p in people])
    return PersonList(items=[PersonRead.of(p, methods.get(p.handle)) for p in people])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=answers(ADMIN, BODY, PERSON_EXISTS, SUBSCRIPTION_URL, status=status.HTTP_201_CREATED),
)
async def add_a_person(
    body: PersonCreate, actor: Admin, services: ServicesDep, response: Response
) -> PersonRead:
    """Add someone who may be given incident roles, with how to reach them; a webhook
    method's signing secret is in this answer only."""
    targets = await _checked_targets(body.contact_methods, services.webhook_allowlist)
    async with services.pool.acquire() as conn, conn.transaction():
        try:
            person = await add_person(
                conn,
                body.handle,
                display_name=body.display_name,
                time_zone=body.time_zone,
                created_by=actor.principal,
            )
        except PersonExistsError as exists:
            raise ProblemError(
                409, "person-exists", "The person is known already", str(exists)
            ) from None
        methods = await set_contact_methods(conn, person.handle, targets, set_by=actor.principal)
    # Percent-encoded: a header carries only ASCII, and a handle may be any text.
    response.headers["Location"] = f"/v1/people/{quote(person.handle, safe='')}"
    return PersonRead.of(person, methods)


@router.get("/{handle}", responses=answers(READ, PARAMETERS, PERSON_LOOKUP))
async def read_a_person(handle: str, _: Reader, services: ServicesDep) -> PersonRead:
    """One known person and how to reach them (webhook secrets are never shown again)."""
    person = await find_person(services.pool, handle)
    if person is None:
        raise _not_found(handle)
    return PersonRead.of(person, await contact_methods(services.pool, handle))


@router.patch(
    "/{handle}", responses=answers(ADMIN, PARAMETERS, BODY, PERSON_LOOKUP, SUBSCRIPTION_URL)
)
async def change_a_person(
    handle: str, body: PersonUpdate, actor: Admin, services: ServicesDep
) -> PersonRead:
    """Change the display name, the time zone or the contact methods (the whole list: methods
    kept keep their secrets; a new webhook method's secret is in this answer only)."""
    changes = body.model_dump(exclude_unset=True, include={"display_name", "time_zone"})
    targets = None
    if body.contact_methods is not None:
        targets = await _checked_targets(body.contact_methods, services.webhook_allowlist)
    elif "contact_methods" in body.model_fields_set:
        raise InvalidParameterError(
            "contact_methods: may not be null (send [] to remove every method)",
            field="contact_methods",
        )
    async with services.pool.acquire() as conn, conn.transaction():
        person = await update_person(conn, handle, changes)
        if person is None:
            raise _not_found(handle)
        if targets is None:
            methods = await contact_methods(conn, handle)
        else:
            methods = await set_contact_methods(conn, handle, targets, set_by=actor.principal)
    return PersonRead.of(person, methods)


async def _checked_targets(
    methods: Sequence[ContactMethodIn], allowlist: Allowlist
) -> list[ContactTarget]:
    """The methods as stored; a webhook URL the guard refuses is 422 unsafe-url."""
    for method in methods:
        if method.type == "webhook":
            await check_url(method.url, allowlist)
    return [m.target() for m in methods]


def _not_found(handle: str) -> ProblemError:
    return ProblemError(404, "person-not-found", "Person not found", f"nobody is {handle!r}")
