"""One place that maps every exception to its problem response; nothing else builds one from
a domain or application failure.

The domain's errors and the application's (`errors`) carry a stable `rule`; the table below
gives each kind its status and title, and the rule becomes the problem's `type` (but where
the table names another, kept for clients that know it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.incident_api.errors import (
    ApplicationError,
    ConcurrentModificationError,
    DeliveryNotFoundError,
    IdempotencyKeyReusedError,
    InvalidCursorError,
    InvalidParameterError,
    PositionBeyondLogError,
    ReadModelBehindError,
    UnknownIncidentError,
    UnknownOtherIncidentError,
    UnknownPersonError,
    VersionMismatchError,
)
from services.incident_api.method_not_allowed import allowed_methods
from services.incident_api.problems import ProblemError, problem_response
from shared.domain.errors import (
    DomainError,
    FindingNotFoundError,
    FollowUpNotFoundError,
    IllegalTransitionError,
    InvalidFieldError,
    NoChangeError,
    NotAuthorizedError,
    RoleAlreadyHeldError,
)
from shared.eventstore.store import StoreBusyError
from shared.webhooks.subscriptions import SubscriptionNotFoundError
from shared.webhooks.url_guard import UnsafeUrlError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Answer:
    """How a kind of error is answered; `slug` None means the error's own `rule`."""

    status: int
    title: str
    slug: str | None = None
    retry_after: bool = False


_NOT_NOW = "The incident's state does not allow this"
_INVALID = "Request is invalid"

# The most specific class of an error that is listed decides its answer.
_ANSWERS: dict[type[Exception], _Answer] = {
    # The domain's refusals.
    FollowUpNotFoundError: _Answer(404, "Follow-up not found"),
    FindingNotFoundError: _Answer(404, "Finding not found"),
    NotAuthorizedError: _Answer(403, "Not allowed on this incident", "not-incident-authority"),
    IllegalTransitionError: _Answer(409, _NOT_NOW),
    RoleAlreadyHeldError: _Answer(409, _NOT_NOW),
    NoChangeError: _Answer(409, _NOT_NOW),
    DomainError: _Answer(409, "Refused by an incident rule"),
    # The application's.
    UnknownIncidentError: _Answer(404, "Incident not found"),
    VersionMismatchError: _Answer(412, "The incident has changed since you read it"),
    ConcurrentModificationError: _Answer(409, "The incident changed while this command ran"),
    IdempotencyKeyReusedError: _Answer(422, "Idempotency-Key was used for a different request"),
    UnknownPersonError: _Answer(422, "No such person"),
    UnknownOtherIncidentError: _Answer(422, "No such incident"),
    ReadModelBehindError: _Answer(503, "The read model has not caught up yet", retry_after=True),
    PositionBeyondLogError: _Answer(400, "min_position is beyond the end of the log"),
    DeliveryNotFoundError: _Answer(404, "Delivery not found"),
    InvalidCursorError: _Answer(400, "The cursor is not valid here"),
    InvalidParameterError: _Answer(422, _INVALID, "validation-error"),
    # Errors of shared modules, which name no rule.
    StoreBusyError: _Answer(503, "The event store is busy", "store-busy", retry_after=True),
    SubscriptionNotFoundError: _Answer(404, "Subscription not found", "subscription-not-found"),
}


# The database cannot be reached, or dropped the connection: nothing is wrong with the request,
# which may be sent again once the database is back (the pool then opens new connections).
_DATABASE_DOWN: tuple[type[Exception], ...] = (
    # Refused, reset or unreachable; also TimeoutError, such as a pool acquire timeout.
    OSError,
    # SQLSTATE class 08: the connection does not exist, failed, was rejected.
    asyncpg.PostgresConnectionError,
    # The server is shutting down, crashed, is starting up, or has no connection to spare.
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    # The client side of a closed connection or pool (any other is a bug: `_unexpected`).
    asyncpg.InterfaceError,
)
DATABASE_RETRY_AFTER_SECONDS = 2


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into RFC 9457 problems."""
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(RequestValidationError, _request_validation)
    for kind in _ANSWERS:
        app.add_exception_handler(kind, _refusal)
    app.add_exception_handler(InvalidFieldError, _invalid_field)
    app.add_exception_handler(UnsafeUrlError, _unsafe_url)
    app.add_exception_handler(StarletteHTTPException, _http)
    for kind in _DATABASE_DOWN:
        app.add_exception_handler(kind, _database_unavailable)
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
        _INVALID,
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


async def _refusal(request: Request, exc: Exception) -> Response:
    answer = next(_ANSWERS[kind] for kind in type(exc).__mro__ if kind in _ANSWERS)
    rule = exc.rule if isinstance(exc, DomainError | ApplicationError) else None
    facts = exc.facts if isinstance(exc, ApplicationError) else {}
    problem = ProblemError(
        answer.status,
        answer.slug or str(rule),
        answer.title,
        str(exc),
        headers={"Retry-After": "1"} if answer.retry_after else None,
        **facts,
    )
    return problem_response(request, problem)


async def _invalid_field(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidFieldError)
    problem = _refused_field(
        "validation-error", _INVALID, exc.field, str(exc), exc.message, "domain"
    )
    return problem_response(request, problem)


async def _unsafe_url(request: Request, exc: Exception) -> Response:
    title = "The URL may not receive webhooks"
    problem = _refused_field("unsafe-url", title, "url", str(exc), str(exc), "unsafe_url")
    return problem_response(request, problem)


def _refused_field(
    slug: str, title: str, field: str, detail: str, message: str, code: str
) -> ProblemError:
    """A field the request schema let through that a deeper check refused (422)."""
    return ProblemError(
        422,
        slug,
        title,
        detail,
        field=field,
        errors=[{"field": field, "message": message, "code": code}],
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
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request.app.routes, request.scope)
    problem = ProblemError(exc.status_code, slug, str(exc.detail), headers=headers)
    return problem_response(request, problem)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    if isinstance(exc, asyncpg.InterfaceError) and not _closed(exc):
        raise exc
    log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
    )
    problem = ProblemError(
        503,
        "database-unavailable",
        "The database is unavailable",
        "the database could not be reached or dropped the connection; "
        f"retry in {DATABASE_RETRY_AFTER_SECONDS} s",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )
    return problem_response(request, problem)


def _closed(error: asyncpg.InterfaceError) -> bool:
    """Whether asyncpg refused because the connection or the pool is closed (or closing)."""
    message = str(error)
    return "closed" in message or "closing" in message


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, ProblemError(500, "internal-error", "Internal server error"))
