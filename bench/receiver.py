"""The webhook receiver: `python -m bench.receiver PORT DEAD_PORT`, a process of its own.

On PORT (127.0.0.1) it answers every `POST /s/<subscriber>` with 200 at once and records
when the request's body was fully read (`time.monotonic()`, the machine-wide clock the
writer also uses) with the `irmposition` of the CloudEvent in it. `GET /arrivals` hands over
everything recorded so far and starts afresh; `GET /progress` gives the highest position
each subscriber has received since then; `GET /healthz` answers 200.

On DEAD_PORT it accepts connections, reads what arrives, and never answers: a subscriber
whose server hangs.

A bare asyncio HTTP/1.1 server with keep-alive, so that receiving costs as little as possible
and the same for the notifier and for the baseline.
"""

from __future__ import annotations

import asyncio
import sys
import time

import orjson

LOOPBACK = "127.0.0.1"
_OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class Receiver:
    """Records arrivals; serves the control endpoints."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[int, int, float]] = []
        self.progress: dict[int, int] = {}

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One keep-alive connection: requests in, answers out, until the client closes."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path, headers = _parse(head)
                length = int(headers.get(b"content-length", b"0"))
                body = await reader.readexactly(length) if length else b""
                at = time.monotonic()
                writer.write(self._answer(method, path, body, at))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _answer(self, method: bytes, path: bytes, body: bytes, at: float) -> bytes:
        if method == b"POST" and path.startswith(b"/s/"):
            subscriber = int(path[3:])
            position = int(orjson.loads(body)["irmposition"])
            self.arrivals.append((subscriber, position, at))
            self.progress[subscriber] = max(self.progress.get(subscriber, -1), position)
            return _OK
        if path == b"/arrivals":
            taken, self.arrivals = self.arrivals, []
            self.progress = {}
            return _json(taken)
        if path == b"/progress":
            return _json({str(k): v for k, v in self.progress.items()})
        if path == b"/healthz":
            return _OK
        return _NOT_FOUND


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A dead subscriber: read until the client gives up, answer nothing."""
    try:
        while await reader.read(65_536):
            pass
    except ConnectionError:
        pass
    finally:
        writer.close()


def _parse(head: bytes) -> tuple[bytes, bytes, dict[bytes, bytes]]:
    lines = head.split(b"\r\n")
    method, path, _ = lines[0].split(b" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


def _json(value: object) -> bytes:
    body = orjson.dumps(value)
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


async def main(port: int, dead_port: int) -> None:
    """Serve both ports until terminated."""
    receiver = Receiver()
    healthy = await asyncio.start_server(receiver.serve, LOOPBACK, port, backlog=1024)
    dead = await asyncio.start_server(hang, LOOPBACK, dead_port, backlog=1024)
    async with healthy, dead:
        await asyncio.gather(healthy.serve_forever(), dead.serve_forever())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
