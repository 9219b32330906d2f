"""An incident named in a path by its id or by its reference (`INC-12`, in any case).

A reference is resolved exactly: `INC-12` is the incident whose number is 12, never a near
match. The incidents this process declared resolve from its memory (`OwnWrites`), so a reference
answered by a declare works at once; any other from the read model, where `number` is unique.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

import asyncpg
from fastapi import Path

from services.incident_api.deps import Services
from services.incident_api.errors import UnknownIncidentError, UnknownOtherIncidentError
from services.incident_api.own_writes import OwnWrites
from services.incident_api.queries.freshness import wait_until_projected
from services.incident_api.queries.incidents import incident_numbered, reference_number

_HEX = "[0-9a-fA-F]"
_UUID = f"{_HEX}{{8}}-?{_HEX}{{4}}-?{_HEX}{{4}}-?{_HEX}{{4}}-?{_HEX}{{12}}"
# At most 18 digits: every such number fits the bigint column.
_REFERENCE = "[Ii][Nn][Cc]-[0-9]{1,18}"
INCIDENT_KEY_PATTERN: Final = f"^(?:{_UUID}|{_REFERENCE})$"
"""An ECMAScript-compatible pattern (the OpenAPI schema's): a UUID or a reference."""

IncidentKey = Annotated[
    str,
    Path(
        pattern=INCIDENT_KEY_PATTERN,
        description="The incident's id (a UUID) or its reference, `INC-<number>` in any case.",
        examples=["INC-12", "daac80b9-9cd0-4fdb-b23b-5050fd9b9a10"],
    ),
]
"""The `{incident_id}` of every `/v1/incidents/{incident_id}…` path."""


async def resolve_incident(
    pool: asyncpg.Pool,
    own_writes: OwnWrites,
    key: str,
    *,
    wait_seconds: float,
    min_position: int | None = None,
) -> UUID:
    """The id of the incident `key` names (validated by `INCIDENT_KEY_PATTERN`); a reference
    nobody declared is `UnknownIncidentError`. An id is returned as it is: whoever uses it
    finds out whether it exists. A reference looked up in the read model is looked up once it
    includes `min_position` (a declare through another replica)."""
    number = reference_number(key)
    if number is None:
        return UUID(key)
    declared_here = own_writes.declared(number)
    if declared_here is not None:
        return declared_here
    if min_position is not None:
        await wait_until_projected(
            pool, own_writes, own=0, min_position=min_position, wait_seconds=wait_seconds
        )
    found = await incident_numbered(pool, number)
    if found is None and own_writes.highest > own_writes.projected:
        # Declared here but forgotten since, and not projected yet: wait for this process's
        # writes (bounded) and look again.
        await wait_until_projected(
            pool, own_writes, own=own_writes.highest, min_position=None, wait_seconds=wait_seconds
        )
        found = await incident_numbered(pool, number)
    if found is None:
        raise UnknownIncidentError(f"INC-{number}")
    return found


async def incident_named(services: Services, key: str, *, min_position: int | None = None) -> UUID:
    """The id of the incident a path names by id or reference (`resolve_incident`)."""
    return await resolve_incident(
        services.pool,
        services.commands.own_writes,
        key,
        wait_seconds=services.read_wait_seconds,
        min_position=min_position,
    )


async def other_incident(services: Services, field: str, key: str) -> tuple[UUID, str]:
    """The id and reference (`INC-<number>`) of the incident a command's `field` names by id or
    reference (`INCIDENT_KEY_PATTERN`), found in the event store once the key is resolved; an
    incident nobody declared is `UnknownOtherIncidentError` (the field is wrong, not the path)."""
    try:
        incident = await services.commands.load(await incident_named(services, key))
    except UnknownIncidentError:
        raise UnknownOtherIncidentError(field, key.strip()) from None
    return incident.id, incident.reference
