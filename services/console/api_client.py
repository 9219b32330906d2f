"""The console talks to the API it is served by, in-process, over HTTP, as any client does.

Every read and every command goes through the API's routes with the signed-in person's token,
so the console has no rule of its own: the same validation, authority checks, If-Match,
problem details and metrics apply as for curl or the `irm` client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import httpx
from fastapi import Request

_BASE_URL: Final = "http://irm-console.internal"


class SessionRefusedError(Exception):
    """The API refused the session's token (revoked, expired): the session is over."""


@dataclass(frozen=True, slots=True)
class Problem:
    """An RFC 9457 problem the API answered with."""

    status: int
    title: str
    detail: str
    type: str

    @classmethod
    def of(cls, response: httpx.Response) -> Problem:
        """The problem in an error response (or a plain one for a body that is not)."""
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        detail = body.get("detail")
        if isinstance(detail, list):  # a validation error's list of errors
            detail = "; ".join(str(e.get("msg", e)) for e in detail if isinstance(e, dict))
        return cls(
            status=response.status_code,
            title=str(body.get("title") or response.reason_phrase),
            detail=str(detail or ""),
            type=str(body.get("type") or "about:blank"),
        )


class ApiClient:
    """Requests to this process's API on behalf of one signed-in person."""

    def __init__(self, request: Request, token: str) -> None:
        client = request.client
        # The API throttles failed logins by address: pass the browser's on.
        address = (client.host, client.port) if client is not None else ("127.0.0.1", 0)
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app, client=address),
            base_url=_BASE_URL,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def aclose(self) -> None:
        """Release the client."""
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request; a 401 means the session's token no longer works."""
        response = await self._http.request(
            method,
            path,
            params={k: v for k, v in (params or {}).items() if v not in (None, "")},
            json=json,
            headers=headers,
        )
        if response.status_code == 401:
            raise SessionRefusedError(Problem.of(response).detail)
        return response

    async def read(self, path: str, **params: Any) -> Any:
        """A query's JSON; a failure other than 401 is a problem the page shows."""
        response = await self.call("GET", path, params=params)
        if response.is_error:
            raise ProblemAnswerError(Problem.of(response))
        return response.json()


class ProblemAnswerError(Exception):
    """The API answered a read with a problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem
