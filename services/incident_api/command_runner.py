"""Running one command from a route: If-Match in, ETag out."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import Response

from services.incident_api.commands import CommandOutcome
from services.incident_api.deps import Services
from services.incident_api.etag import etag, parse_if_match
from shared.domain.incident import Incident
from shared.domain.values import Actor


async def run_command(
    services: Services,
    response: Response,
    incident_id: UUID,
    actor: Actor,
    if_match: str | None,
    command: Callable[[Incident], None],
) -> CommandOutcome:
    """Apply `command` to the incident (at the If-Match version, if given); set the ETag."""
    outcome = await services.commands.execute(
        incident_id, actor, command, expected_version=parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(outcome.incident.version)
    return outcome
