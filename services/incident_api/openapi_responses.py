"""What the OpenAPI document says each operation may answer, built from a few named sets.

A route lists the sets that apply to it (`answers(READ, INCIDENT, ...)`); each set names the
problem types it adds, by status. Every problem is `application/problem+json` with the
`Problem` schema, whatever its status (422 too: the app never answers FastAPI's
`HTTPValidationError`). `install_problem_schema` puts `Problem` into the document's components.

The success answer's headers (`ETag`, `Location`, …) and its alternative content types
(Markdown) are documented here as well, so that no route copies them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from services.incident_api.error_handlers import DATABASE_RETRY_AFTER_SECONDS
from services.incident_api.numbers import BIGINT_MAX
from services.incident_api.plain_text import PLAIN_TEXT_PATTERN
from services.incident_api.problems import PROBLEM_CONTENT_TYPE, Problem

Responses = dict[int | str, dict[str, Any]]
"""The `responses=` of a FastAPI route."""

ProblemSet = tuple[tuple[int, str], ...]
"""Problem types a route may answer, as (status, type name) pairs."""

_SCHEMAS = "#/components/schemas/"

# Every /v1 route: a query parameter is checked for control characters and must be one the
# route takes (`CheckedRoute`), a token is needed (an address with too many failed ones is
# refused for a while), and the token is looked up in the database or, for a JWT, checked
# against the identity provider's keys (fetched when unknown).
READ: ProblemSet = (
    (400, "invalid-query-parameter"),
    (400, "unknown-query-parameter"),
    (401, "unauthorized"),
    (429, "too-many-failed-logins"),
    (503, "database-unavailable"),
    (503, "identity-provider-unavailable"),
)
"""A route that any valid token (read scope) may call."""

WRITE: ProblemSet = (*READ, (403, "insufficient-scope"))
"""A route that needs the write (or admin) scope."""

ADMIN: ProblemSet = WRITE
"""A route that needs the admin scope."""

PARAMETERS: ProblemSet = ((422, "validation-error"),)
"""A route with path, query or header parameters that FastAPI validates."""

ANY_BODY: ProblemSet = ((413, "payload-too-large"),)
"""Any method but GET: the body size is limited before the route runs, body or not."""

BODY: ProblemSet = (
    *ANY_BODY,
    (400, "invalid-json"),
    (415, "unsupported-media-type"),
    (422, "validation-error"),
)
"""A route that reads a JSON body."""

FRESHNESS: ProblemSet = ((400, "position-beyond-log"), (503, "read-model-behind"))
"""A query that takes `min_position` (read your own writes)."""

INCIDENT_LOOKUP: ProblemSet = ((404, "incident-not-found"),)
"""A route on one incident."""

APPEND: ProblemSet = ((503, "store-busy"),)
"""A route that appends events."""

COMMAND: ProblemSet = (
    *WRITE,
    *BODY,
    *INCIDENT_LOOKUP,
    *APPEND,
    (400, "invalid-if-match"),
    (403, "not-incident-authority"),
    (409, "the type of the incident rule that refused it (e.g. `incident-closed`)"),
    (409, "concurrent-modification"),
    (412, "version-mismatch"),
)
"""A command on an incident (`command_routes`), with If-Match."""

FOLLOW_UP_LOOKUP: ProblemSet = ((404, "follow-up-not-found"),)
"""A command on one follow-up of the review."""

FACTOR_LOOKUP: ProblemSet = ((404, "contributing-factor-not-found"),)
"""A command on one contributing factor of the review."""

RECOMMENDATION_LOOKUP: ProblemSet = ((404, "recommendation-not-found"),)
"""A command on one recommendation of the review."""

SUBSCRIPTION_LOOKUP: ProblemSet = ((404, "subscription-not-found"),)
"""A route on one webhook subscription."""

DELIVERY_LOOKUP: ProblemSet = ((404, "delivery-not-found"),)
"""A route on one delivery of a subscription."""

SUBSCRIPTION_URL: ProblemSet = ((422, "unsafe-url"),)
"""A route that takes a webhook URL, which the URL guard checks."""

CURSOR: ProblemSet = ((400, "invalid-cursor"),)
"""A list that pages with a cursor."""

DECLARE: ProblemSet = ((422, "idempotency-key-reused"), (422, "unknown-person"))
"""Declaring, with an Idempotency-Key and maybe an owner."""

TOKEN_LOOKUP: ProblemSet = ((404, "token-not-found"),)
"""A route on one API token."""

PERSON_LOOKUP: ProblemSet = ((404, "person-not-found"),)
"""A route on one person."""

PERSON_EXISTS: ProblemSet = ((409, "person-exists"),)
"""Adding a person."""

NAMES_PEOPLE: ProblemSet = ((422, "unknown-person"),)
"""A command that names someone for a role or as owner, who must be a known person."""

NAMES_INCIDENT: ProblemSet = ((422, "unknown-incident"),)
"""A command that names another incident, which must have been declared."""

LINK: ProblemSet = (
    *WRITE,
    *BODY,
    *INCIDENT_LOOKUP,
    *APPEND,
    *NAMES_INCIDENT,
    (403, "not-incident-authority"),
    (409, "no-change"),
    (409, "concurrent-modification"),
)
"""Linking two incidents (no If-Match: the link changes two incidents at once)."""

_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The incident\'s version, e.g. `"3"`: send it back as If-Match.',
        "schema": {"type": "string"},
    },
    "Location": {"description": "Where the new resource is.", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when an earlier request with this Idempotency-Key answered.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Cache-Control": {
        "description": "`no-store`: the answer holds a secret.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "WWW-Authenticate": {
        "description": "`Bearer`: how to authenticate.",
        "schema": {"type": "string"},
    },
}

# Headers a problem of this status always comes with.
_PROBLEM_HEADERS: dict[int, tuple[str, ...]] = {
    401: ("WWW-Authenticate",),
    429: ("Retry-After",),
    503: ("Retry-After",),
}

_DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed",
    401: "No valid bearer token",
    403: "Not allowed",
    404: "Not found",
    409: "Refused: the incident's state does not allow it",
    412: "If-Match names another version than the incident's",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "A parameter or field is invalid",
    429: "Too many requests: retry after Retry-After",
    503: (
        f"Unavailable for now: retry after Retry-After ({DATABASE_RETRY_AFTER_SECONDS} s for "
        "database-unavailable)"
    ),
}

MARKDOWN = "text/markdown"

_TYPE_NAME = re.compile(r"[a-z-]+")


def answers(
    *problem_sets: ProblemSet,
    status: int = 200,
    headers: tuple[str, ...] = (),
    markdown: bool = False,
) -> Responses:
    """The `responses=` of a route that may answer every problem of `problem_sets`.

    `status` is the route's success status, `headers` name the headers its success answer
    sets (ETag, Location, Idempotent-Replayed), `markdown` that it also answers in Markdown.
    """
    responses: Responses = {}
    success: dict[str, Any] = {}
    if headers:
        success["headers"] = {name: _HEADERS[name] for name in headers}
    if markdown:
        success["content"] = {MARKDOWN: {"schema": {"type": "string"}}}
    if success:
        responses[status] = success
    by_status: dict[int, list[str]] = {}
    for problem_set in problem_sets:
        for code, name in problem_set:
            names = by_status.setdefault(code, [])
            if name not in names:
                names.append(name)
    for code in sorted(by_status):
        responses[code] = _problem_response(code, by_status[code])
    return responses


def _problem_response(status: int, names: list[str]) -> dict[str, Any]:
    kinds = ", ".join(f"`{name}`" if _TYPE_NAME.fullmatch(name) else name for name in names)
    answer: dict[str, Any] = {
        "description": f"{_DESCRIPTIONS[status]}. Problem types: {kinds}.",
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _SCHEMAS + "Problem"}}},
    }
    if status in _PROBLEM_HEADERS:
        answer["headers"] = {name: _HEADERS[name] for name in _PROBLEM_HEADERS[status]}
    return answer


NOT_READY: Responses = {
    503: {
        "description": "Not ready: the database does not answer (not a problem document).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string", "enum": ["unavailable"]},
                        "database": {"type": "string"},
                    },
                    "required": ["status", "database"],
                }
            }
        },
    }
}
"""The `responses=` of `GET /readyz`, which answers 503 in its own JSON shape."""


def install_problem_schema(app: FastAPI) -> None:
    """Add the `Problem` schema (which the problem answers refer to) to the app's document,
    and make its parameters and numbers say exactly what the API takes."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = _exact_numbers(build())
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template=_SCHEMAS + "{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
            _parameters_as_sent(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _parameters_as_sent(document: dict[str, Any]) -> None:
    """A parameter is left out or sent as text, never as JSON null: drop the `null` that an
    optional parameter's type (`str | None`) puts in its schema, or a client may send the text
    `null` (an If-Match of `null` is a 400). A query parameter that is any text admits no
    control character (`CheckedRoute` answers 400), which its pattern says."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                schema = parameter["schema"]
                branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
                if "anyOf" in schema and len(branches) == 1:
                    del schema["anyOf"]
                    schema.update(branches[0])
                elif "anyOf" in schema:
                    schema["anyOf"] = branches
                free_text = schema.get("type") == "string" and not _CONSTRAINED & schema.keys()
                if parameter["in"] == "query" and free_text:
                    schema["pattern"] = PLAIN_TEXT_PATTERN


_CONSTRAINED = frozenset({"enum", "format", "pattern", "$ref"})


def _exact_numbers(document: Any) -> Any:
    """The document with its bounds as integers again: FastAPI's model of a schema holds
    `minimum`/`maximum` as floats, which turns 1 into 1.0 and the bigint bound (2**63 - 1,
    not a float) into 2**63, a number the API refuses."""
    if isinstance(document, dict):
        return {key: _exact_numbers(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_exact_numbers(value) for value in document]
    if isinstance(document, float) and document.is_integer():
        return BIGINT_MAX if document == float(BIGINT_MAX) else int(document)
    return document
