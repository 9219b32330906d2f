"""A real webhook receiver on 127.0.0.1 for the notifier's tests, and how to read what it got.

A bare asyncio server with just enough HTTP/1.1: it records every request's headers and body,
answers what the test tells it to (a status, extra headers, or nothing until a gate opens),
closes every connection after one answer, and can go down (its port closed) and come back on
the same port. Each request also remembers which messages had been acknowledged (answered
2xx) when it arrived, so a test can check that event N+1 never left before N succeeded.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.http import HTTPMessage, from_structured_event
from standardwebhooks.webhooks import Webhook

_REASONS = {200: "OK", 204: "No Content", 302: "Found", 410: "Gone", 429: "Too Many Requests"}


@dataclass
class Received:
    """One request as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    # Message ids answered 2xx, and answers per message id, before this request arrived.
    acked_before: frozenset[str]
    answered_before: dict[str, int]
    status: int | None = None  # what the receiver answered; None while held or unanswered

    @property
    def message_id(self) -> str:
        """The `webhook-id` header."""
        return self.headers["webhook-id"]

    @cached_property
    def event(self) -> dict[str, Any]:
        """The body as JSON (unverified; use `open_message` to verify)."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def incident_id(self) -> str:
        """The CloudEvent's subject."""
        return str(self.event["subject"])

    @property
    def version(self) -> int:
        """The incident version the message is about (extension attribute)."""
        return int(self.event["irmversion"])


@dataclass(frozen=True)
class Reply:
    """What to answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    gate: asyncio.Event | None = None  # hold the request until this is set
    dribble: float = 0.0  # seconds between the bytes of the answer (a slow-loris receiver)


Responder = Callable[[Received], Reply | Awaitable[Reply]]


def always(status: int = 200, **headers: str) -> Responder:
    """Answer every request the same way."""
    reply = Reply(status, {k.replace("_", "-"): v for k, v in headers.items()})
    return lambda _: reply


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what arrives."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.responder: Responder = responder or always(200)
        self.requests: list[Received] = []
        self.held = 0
        self.most_held = 0
        self.port = 0
        self._acked: set[str] = set()
        self._answered: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._arrived = asyncio.Condition()

    @property
    def url(self) -> str:
        """Where to subscribe."""
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def message_ids(self) -> set[str]:
        """Every distinct webhook-id received."""
        return {r.message_id for r in self.requests}

    def acked(self) -> list[Received]:
        """Requests answered 2xx, in arrival order."""
        return [r for r in self.requests if r.status is not None and 200 <= r.status < 300]

    async def start(self) -> None:
        """Listen (again, on the same port if it listened before)."""
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Go down: close the port and every open connection."""
        if self._server is None:
            return
        self._server.close()
        for handler in list(self._handlers):
            handler.cancel()  # held requests too: their connections drop
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def wait_for(
        self, condition: Callable[[Receiver], bool], *, within: float = 30.0, what: str = ""
    ) -> None:
        """Wait until `condition(self)` holds; fail the test if it does not `within` seconds."""
        try:
            async with asyncio.timeout(within), self._arrived:
                await self._arrived.wait_for(lambda: condition(self))
        except TimeoutError:
            raise AssertionError(
                f"receiver on {self.port}: gave up waiting for {what or condition} "
                f"({len(self.requests)} requests so far)"
            ) from None

    async def _changed(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(
                headers,
                body,
                acked_before=frozenset(self._acked),
                answered_before=dict(self._answered),
            )
            self.requests.append(received)
            await self._changed()
            reply = self.responder(received)
            if not isinstance(reply, Reply):
                reply = await reply
            if reply.gate is not None:
                self.held += 1
                self.most_held = max(self.most_held, self.held)
                try:
                    await reply.gate.wait()
                finally:
                    self.held -= 1
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
            reason = _REASONS.get(reply.status, "Status")
            answer = (
                f"HTTP/1.1 {reply.status} {reason}\r\ncontent-length: 0\r\n"
                f"connection: close\r\n{extra}\r\n".encode("latin-1")
            )
            for chunk in _chunks(answer, 1 if reply.dribble else len(answer)):
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(reply.dribble)
            received.status = reply.status
            self._answered[received.message_id] += 1
            if 200 <= reply.status < 300:
                self._acked.add(received.message_id)
            await self._changed()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._handlers.discard(handler)
            writer.close()


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def open_message(received: Received, *secrets: str) -> BaseCloudEvent:
    """Verify the Standard Webhooks signature with each secret and parse the CloudEvent."""
    for secret in secrets:
        Webhook(secret).verify(received.body, received.headers)
    return from_structured_event(HTTPMessage(received.headers, received.body))


def first_arrivals(requests: list[Received]) -> dict[str, list[int]]:
    """Per incident, the versions in the order their messages first arrived."""
    seen: set[str] = set()
    order: dict[str, list[int]] = {}
    for r in requests:
        if r.message_id not in seen:
            seen.add(r.message_id)
            order.setdefault(r.incident_id, []).append(r.version)
    return order


def sent_out_of_order(requests: list[Received]) -> list[str]:
    """Requests that arrived before the previous version of their incident was acknowledged.

    Empty when every incident's event N+1 left only after event N had succeeded.
    """
    ids: dict[tuple[str, int], str] = {(r.incident_id, r.version): r.message_id for r in requests}
    early = []
    for r in requests:
        previous = ids.get((r.incident_id, r.version - 1))
        if r.version > 1 and (previous is None or previous not in r.acked_before):
            early.append(f"{r.incident_id} v{r.version}")
    return early


async def eventually(
    condition: Callable[[], Awaitable[bool]],
    *,
    within: float = 30.0,
    every: float = 0.05,
    what: str = "",
) -> None:
    """Poll `condition` until it holds; fail the test if it does not `within` seconds."""
    give_up = time.monotonic() + within
    while not await condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what or condition}")
        await asyncio.sleep(every)
