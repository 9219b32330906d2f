"""The client's HTTP side: one httpx client per command, problems turned into `ProblemError`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Final, Self

import httpx

from services.cli.client.config import Login

TIMEOUT: Final = httpx.Timeout(15.0, connect=5.0)
MARKDOWN: Final = "text/markdown"


class ProblemError(Exception):
    """The server refused: its RFC 9457 problem (or what stood in for one)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.title = str(problem.get("title") or httpx.codes.get_reason_phrase(status))
        self.detail = problem.get("detail")
        super().__init__(f"{self.title} ({status})")

    @property
    def kind(self) -> str:
        """The problem's type without its `urn:irm:problem:` prefix."""
        return str(self.problem.get("type", "")).rpartition(":")[2]


class UnreachableError(Exception):
    """The server did not answer (not running, wrong URL, network)."""


class ApiClient:
    """The API of one server, called with one token."""

    def __init__(self, login: Login, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = login.url
        self._http = httpx.Client(
            base_url=login.url,
            headers={"Authorization": f"Bearer {login.token}", "User-Agent": "irm-cli"},
            timeout=TIMEOUT,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET JSON."""
        return self._send("GET", path, params=_without_none(params)).json()

    def get_text(self, path: str, accept: str = MARKDOWN) -> str:
        """GET another representation (Markdown) as text."""
        return self._send("GET", path, headers={"Accept": accept}).text

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST a JSON body (fields that are None left out) and return the JSON answer."""
        payload = _without_none(body) if body is not None else None
        return self._send("POST", path, json=payload).json()

    def stream_lines(self, path: str, params: dict[str, Any]) -> Iterator[str]:
        """The lines of a streamed answer (server-sent events) as they arrive."""
        # A stream is quiet between events; the server sends a ping every 15 s.
        timeout = httpx.Timeout(60.0, connect=5.0)
        try:
            with self._http.stream("GET", path, params=params, timeout=timeout) as response:
                if response.is_error:
                    response.read()
                    raise _problem(response)
                yield from response.iter_lines()
        except httpx.TransportError as error:
            raise UnreachableError(_unreachable(self.url, error)) from None

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **options)
        except httpx.TransportError as error:
            raise UnreachableError(_unreachable(self.url, error)) from None
        if response.is_error:
            raise _problem(response)
        return response


def _problem(response: httpx.Response) -> ProblemError:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()[:300]
        body = {"title": response.reason_phrase or "HTTP error", "detail": text or None}
    return ProblemError(response.status_code, body)


def _unreachable(url: str, error: httpx.TransportError) -> str:
    return f"cannot reach the server at {url}: {error or type(error).__name__}"


def _without_none(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if v is not None}
