"""The command routes, defined once: a request whose body (and path) make one command.

Every command route takes the incident id (and, for a follow-up, its id) from the path, the
command's body, the writer and an optional If-Match; it runs the command through the
application service, sets the ETag and answers with the incident after it. The routers list
theirs as `CommandRoute` rows; `add_command_routes` makes each an endpoint that FastAPI (and
the OpenAPI document) sees like a hand-written one.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response

from services.incident_api.commands import IncidentCommand
from services.incident_api.deps import Services, ServicesDep, Writer
from services.incident_api.etag import IF_MATCH_PATTERN, etag, parse_if_match
from services.incident_api.openapi_responses import COMMAND, ProblemSet, answers
from services.incident_api.references import IncidentKey, incident_named
from services.incident_api.schemas import CommandBody, IncidentCommandResult

_REQUIRED = inspect.Parameter.empty
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """One command route: where it is, what it is called and does, and its body."""

    path: str
    name: str
    """The operation's name: its OpenAPI operation id and summary come from it."""
    description: str
    body: type[CommandBody]
    optional_body: bool = False
    """The body may be left out (a command without fields)."""
    path_ids: tuple[str, ...] = ()
    """Names in the path, besides the incident id, that are fields of the command."""
    problems: ProblemSet = ()
    """Problems it may answer besides every command's (`openapi_responses.COMMAND`)."""
    method: str = "POST"
    """PATCH for a correction of the incident itself, DELETE for emptying a role."""


def add_command_routes(
    router: APIRouter,
    routes: Iterable[CommandRoute],
    *,
    result: type[IncidentCommandResult],
    if_match_description: str,
) -> None:
    """Add a POST endpoint per route, answering with `result` built from the outcome."""
    if_match = Annotated[
        str | None,
        Header(description=if_match_description, json_schema_extra={"pattern": IF_MATCH_PATTERN}),
    ]
    for route in routes:
        router.add_api_route(
            route.path,
            _endpoint(route, result, if_match),
            methods=[route.method],
            name=route.name,
            description=route.description,
            response_model=result,
            responses=answers(COMMAND, route.problems, headers=("ETag",)),
        )


def _endpoint(
    route: CommandRoute, result: type[IncidentCommandResult], if_match: object
) -> Callable[..., Awaitable[IncidentCommandResult]]:
    """The endpoint of one command route, with the signature FastAPI reads its inputs from."""

    async def endpoint(**values: Any) -> IncidentCommandResult:
        services: Services = values["services"]
        response: Response = values["response"]
        body: CommandBody = values["body"] if values["body"] is not None else route.body()
        command: IncidentCommand = await body.command_for(
            services, **{n: values[n] for n in route.path_ids}
        )
        outcome = await services.commands.execute(
            await incident_named(services, values["incident_id"]),
            command,
            values["actor"],
            expected_version=parse_if_match(values["if_match"]),
        )
        response.headers["ETag"] = etag(outcome.incident.version)
        return result.from_outcome(outcome)

    body_type: object = route.body
    if route.optional_body:
        body_type = Annotated[route.body | None, Body()]
    parameters = [
        ("incident_id", IncidentKey, _REQUIRED),
        *((name, str, _REQUIRED) for name in route.path_ids),
        ("body", body_type, None if route.optional_body else _REQUIRED),
        ("actor", Writer, _REQUIRED),
        ("services", ServicesDep, _REQUIRED),
        ("response", Response, _REQUIRED),
        ("if_match", if_match, None),
    ]
    # FastAPI calls the endpoint with keyword arguments named after its signature's parameters.
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, _KEYWORD, annotation=annotation, default=default)
            for name, annotation, default in parameters
        ],
        return_annotation=result,
    )
    endpoint.__name__ = endpoint.__qualname__ = route.name
    endpoint.__doc__ = route.description
    return endpoint
