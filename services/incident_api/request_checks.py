"""What every API route checks of a request before FastAPI reads its parameters and body.

`CheckedRoute` is the route class of every `/v1` router.

- No query parameter, declared or not, may hold a control character (`plain_text`): the answer
  is `400 invalid-query-parameter` naming it. A parameter is a value the client put in a URL,
  so a control character there is a malformed request rather than a field to validate.
- A query parameter the route does not take (e.g. `?severty=P1`) is
  `400 unknown-query-parameter`, naming it (`unknown`) and the ones the route takes (`allowed`):
  ignoring it would answer as if no filter had been asked for.
- A JSON body must be UTF-8 (RFC 8259): one in UTF-16 or UTF-32, which Python's JSON decoder
  would otherwise detect and accept, is `400 invalid-json`. A UTF-8 byte order mark is allowed.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from services.incident_api.plain_text import CONTROL_CHARACTER_CODE, control_character_message
from services.incident_api.problems import ProblemError


class CheckedRoute(APIRoute):
    """An API route that refuses control characters in the query and JSON that is not UTF-8."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = tuple(sorted(set(_query_names(self.dependant))))

        async def checked(request: Request) -> Response:
            _check_query(request)
            _check_known(request, allowed)
            return await handler(_Utf8JsonRequest(request.scope, request.receive))

        return checked


def _check_query(request: Request) -> None:
    for name, value in request.query_params.multi_items():
        message = control_character_message(name) or control_character_message(value)
        if message is not None:
            raise ProblemError(
                400,
                "invalid-query-parameter",
                "A query parameter is not valid",
                f"{name}: {message}",
                field=name,
                errors=[{"field": name, "message": message, "code": CONTROL_CHARACTER_CODE}],
            )


def _query_names(dependant: Dependant) -> Iterator[str]:
    """The query parameters (as sent) the endpoint and its dependencies read."""
    for param in dependant.query_params:
        yield param.alias
    for dependency in dependant.dependencies:
        yield from _query_names(dependency)


def _check_known(request: Request, allowed: tuple[str, ...]) -> None:
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if not unknown:
        return
    names = ", ".join(unknown)
    takes = f"takes {', '.join(allowed)}" if allowed else "takes no query parameters"
    guesses = difflib.get_close_matches(unknown[0], allowed, n=1)
    hint = f" (did you mean {guesses[0]}?)" if guesses else ""
    raise ProblemError(
        400,
        "unknown-query-parameter",
        "A query parameter is not known",
        f"unknown query parameter {names}{hint}; this endpoint {takes}",
        field=unknown[0],
        unknown=unknown,
        allowed=list(allowed),
    )


class _Utf8JsonRequest(Request):
    """A request whose JSON body is decoded as UTF-8 only."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            # JSON in UTF-8 never holds a NUL byte (in a string it is escaped as \u0000); one
            # in UTF-16 or UTF-32 always does, and may otherwise decode as valid UTF-8.
            if b"\x00" in body:
                raise HTTPException(400, "the body must be UTF-8: it holds NUL bytes")
            try:
                text = body.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise HTTPException(
                    400, f"the body must be UTF-8: byte {error.start} is not ({error.reason})"
                ) from None
            self._json = json.loads(text)
        return self._json
