"""One browser's `GET /ui/stream` for `bench.console_fanout`: raw HTTP/1.1 over an asyncio
`Protocol`, noting when each event's message arrived.

200 of these share the benchmark's one process (and the machine's two cores with the server),
where 200 browsers would each have their own. So the socket callback does as little as it
can: it notes the time and keeps the bytes; they are read (de-chunked, split into messages)
later, with the time the bytes that completed each message arrived. Parsing at arrival would
stamp the 200th client of an event late by the 199 parses before it in the same loop pass.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import orjson

from bench.console_common import SESSION_COOKIE


@dataclass
class StreamClient:
    """One browser's `/ui/stream`: when each event position arrived."""

    name: int
    keep_data: bool
    arrivals: dict[int, float] = field(default_factory=dict)
    data: dict[int, tuple[str, int]] = field(default_factory=dict)
    """position -> (incident id, version); kept by one client only."""
    live: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[tuple[float, bytes]] = field(default_factory=list, init=False)
    """(when, bytes) as the socket gave them, not read yet."""
    _raw: bytes = field(default=b"", init=False)
    _body: bytes = field(default=b"", init=False)
    _head: bool = field(default=False, init=False)
    _chunked: bool = field(default=False, init=False)

    async def follow(self, host: str, port: int, secret: str) -> None:
        """Connect and read until cancelled (or the server ends the stream)."""
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        request = (
            f"GET /ui/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Cookie: {SESSION_COOKIE}={secret}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
        transport, _ = await asyncio.get_running_loop().create_connection(
            lambda: _Receiver(self, request, lost), host, port
        )
        try:
            await lost
        finally:
            transport.close()

    def read(self) -> None:
        """Read what arrived since the last call: each message with the time its last byte came."""
        received, self.received = self.received, []
        for at, data in received:
            self._raw += data
            if not self._head and not self._read_head():
                continue
            self._dechunk()
            while b"\n\n" in self._body:
                message, self._body = self._body.split(b"\n\n", 1)
                self._message(message, at)

    def _read_head(self) -> bool:
        end = self._raw.find(b"\r\n\r\n")
        if end < 0:
            return False
        head, self._raw = self._raw[:end].lower(), self._raw[end + 4 :]
        status = head.split(b"\r\n", 1)[0]
        if b" 200 " not in status + b" ":
            raise RuntimeError(f"/ui/stream answered {status!r}")
        self._chunked = b"\r\ntransfer-encoding: chunked" in head
        self._head = True
        return True

    def _dechunk(self) -> None:
        if not self._chunked:
            self._body, self._raw = self._body + self._raw, b""
            return
        while (line_end := self._raw.find(b"\r\n")) >= 0:
            size = int(self._raw[:line_end].split(b";")[0], 16)
            start = line_end + 2
            if size == 0 or len(self._raw) < start + size + 2:
                return
            self._body += self._raw[start : start + size]
            self._raw = self._raw[start + size + 2 :]

    def _message(self, message: bytes, at: float) -> None:
        fields: dict[bytes, bytes] = {}
        for line in message.replace(b"\r\n", b"\n").split(b"\n"):
            name, _, value = line.partition(b":")
            fields[name] = value.removeprefix(b" ")
        if b"id" not in fields:
            return
        if fields.get(b"event") != b"incident-event":
            self.live.set()  # the first message: the stream is live
            return
        position = int(fields[b"id"])
        self.arrivals.setdefault(position, at)
        if self.keep_data:
            event = orjson.loads(fields[b"data"])
            self.data[position] = (str(event["incident_id"]), int(event["version"]))


class _Receiver(asyncio.Protocol):
    """The socket's side: send the request, then note each arrival and keep its bytes."""

    def __init__(self, client: StreamClient, request: bytes, lost: asyncio.Future[None]) -> None:
        self._client = client
        self._request = request
        self._lost = lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._client.received.append((time.monotonic(), data))
        if not self._client.live.is_set():  # before the measurement: read at once
            try:
                self._client.read()
            except Exception as error:  # a refused stream: its task fails with the reason
                if not self._lost.done():
                    self._lost.set_exception(error)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._lost.done():
            self._lost.set_result(None)
