"""One place that maps every exception to its problem response; routes never build errors."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.incident_api.problems import ProblemError, problem_response
from shared.domain.errors import (
    DomainError,
    FollowUpNotFoundError,
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
    RoleAlreadyHeldError,
)
from shared.eventstore.repository import IncidentNotFoundError
from shared.eventstore.store import ConcurrencyConflictError, StoreBusyError

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into RFC 9457 problems."""
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(IncidentNotFoundError, _not_found)
    app.add_exception_handler(ConcurrencyConflictError, _conflict)
    app.add_exception_handler(StoreBusyError, _busy)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    content_type = request.headers.get("content-type", "")
    # Only the whole body ("body", not a field that happens to be named "body") can be non-JSON.
    whole_body = any(tuple(e.get("loc", ())) == ("body",) for e in exc.errors())
    if whole_body and not _is_json_media_type(content_type):
        problem = ProblemError(
            415,
            "unsupported-media-type",
            "Request body must be JSON",
            f"send Content-Type: application/json (got {content_type or 'none'})",
        )
        return problem_response(request, problem)
    if any(e["code"] == "json_invalid" for e in errors):
        problem = ProblemError(
            400, "invalid-json", "Request body is not valid JSON", errors[0]["message"]
        )
        return problem_response(request, problem)
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    problem = ProblemError(
        422,
        "validation-error",
        "Request is invalid",
        f"{first['field']}: {first['message']}" if first["field"] else first["message"],
        field=first["field"],
        errors=errors,
    )
    return problem_response(request, problem)


def _is_json_media_type(content_type: str) -> bool:
    """Whether FastAPI parses a body of this type as JSON: application/json or …+json."""
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _field_error(error: Any) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ())]
    # Drop the "body"/"path"/"query" prefix; what remains names the field as the client sent it.
    field = ".".join(location[1:]) if len(location) > 1 else (location[0] if location else None)
    return {"field": field or None, "message": error.get("msg", ""), "code": error.get("type")}


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, InvalidFieldError):
        problem = ProblemError(
            422,
            "validation-error",
            "Request is invalid",
            str(exc),
            field=exc.field,
            errors=[{"field": exc.field, "message": exc.message, "code": "domain"}],
        )
    elif isinstance(exc, FollowUpNotFoundError):
        problem = ProblemError(404, exc.rule, "Follow-up not found", str(exc))
    elif isinstance(exc, NotAuthorizedError):
        problem = ProblemError(
            403, "not-incident-authority", "Not allowed on this incident", str(exc)
        )
    elif isinstance(exc, IllegalTransitionError | RoleAlreadyHeldError | NoChangeError):
        problem = ProblemError(409, exc.rule, "The incident's state does not allow this", str(exc))
    else:
        problem = ProblemError(409, exc.rule, "Refused by an incident rule", str(exc))
    return problem_response(request, problem)


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IncidentNotFoundError)
    return problem_response(
        request, ProblemError(404, "incident-not-found", "Incident not found", str(exc))
    )


async def _conflict(request: Request, exc: Exception) -> Response:
    return problem_response(
        request,
        ProblemError(
            409,
            "concurrent-modification",
            "The incident changed while this command ran",
            "Another change was recorded first; load the incident again and retry.",
        ),
    )


async def _busy(request: Request, exc: Exception) -> Response:
    return problem_response(
        request,
        ProblemError(
            503, "store-busy", "The event store is busy", str(exc), headers={"Retry-After": "1"}
        ),
    )


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's one bare 400: a JSON body it could not even decode (e.g. not UTF-8).
        problem = ProblemError(
            400, "invalid-json", "Request body is not valid JSON", str(exc.detail)
        )
        return problem_response(request, problem)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    problem = ProblemError(exc.status_code, slug, str(exc.detail), headers=dict(exc.headers or {}))
    return problem_response(request, problem)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, ProblemError(500, "internal-error", "Internal server error"))
