"""The HTTP load generator: `python -m bench.loadgen`, a process of its own.

It runs apart from the benchmark's own process, so the work of building requests and parsing
responses is not done on the same Python interpreter (and GIL) as the writers and bookkeeping
of the benchmark. It reads one job per line on stdin (JSON) and answers each with one line
on stdout; it exits at end of input.

A job names a URL template, a number of connections and a duration. Each connection is one
asyncio task with an httpx AsyncClient of its own, holding one keep-alive HTTP/1.1
connection, that sends its next request as soon as the previous answer is in: closed-loop
load, so the throughput is what the server sustains at that concurrency.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import sys
import time
import types
from collections import Counter
from dataclasses import dataclass
from typing import TypedDict

import httpx
import orjson


@dataclass(frozen=True, slots=True)
class Job:
    """One round of load against one server."""

    url: str
    """With `{id}` where each connection's incident ids go (or none, for declares)."""
    connections: int
    duration_s: float
    bodies: list[bytes]
    ids: list[list[str]]
    """Per connection, the incidents it cycles through (empty lists for declares)."""
    headers: dict[str, str]

    @classmethod
    def parse(cls, line: bytes) -> Job:
        """A job from its JSON line; bodies come as strings."""
        data = orjson.loads(line)
        return cls(
            url=data["url"],
            connections=data["connections"],
            duration_s=data["duration_s"],
            bodies=[b.encode() for b in data["bodies"]],
            ids=data["ids"],
            headers=data["headers"],
        )


class Answer(TypedDict):
    """The result of one job, one JSON line on stdout."""

    requests: int
    """Requests answered with 2xx: only these have their latency recorded."""
    seconds: float
    latencies: list[float]
    statuses: dict[str, int]
    """Answers by status code (as a string, for JSON)."""
    errors: dict[str, int]
    """Transport failures by exception name."""
    cpu_seconds: float
    """This process's CPU time over the job."""


class _AsyncioOnlySniffio(types.ModuleType):
    """A `sniffio` module that knows only asyncio (all httpcore asks of it here)."""

    @staticmethod
    def current_async_library() -> str:
        """The async library running: always asyncio in this process."""
        return "asyncio"


def skip_sniffio_lookups() -> None:
    """Spare httpcore a failed `import sniffio` on every request.

    httpcore asks sniffio which async library runs it and, when sniffio is not installed (it
    is not here: nothing requires it), answers "asyncio" itself, but only after an import
    that searched all of sys.path, several times per request: about 40 µs each here, a
    quarter of the generator's CPU per request. A stand-in that answers "asyncio" at once
    gives httpcore the same answer without the search.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = _AsyncioOnlySniffio("sniffio")


class Connections:
    """Clients kept from job to job, one per connection and server, sharing one SSL context
    (an httpx client that builds its own takes about 30 ms here, though no TLS is used)."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, int], httpx.AsyncClient] = {}
        self._tls = ssl.create_default_context()

    def get(self, url: str, count: int) -> list[httpx.AsyncClient]:
        """`count` clients for the server of `url`, each with one keep-alive connection."""
        origin = httpx.URL(url.replace("{id}", "x")).copy_with(path="/", query=None)
        single = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = []
        for index in range(count):
            key = (str(origin), index)
            if key not in self._clients:
                self._clients[key] = httpx.AsyncClient(
                    limits=single, timeout=30.0, trust_env=False, verify=self._tls
                )
            clients.append(self._clients[key])
        return clients

    async def close(self) -> None:
        """Close every client."""
        for client in self._clients.values():
            await client.aclose()


async def run_job(job: Job, connections: Connections) -> Answer:
    """Send requests on every connection until the duration is over; report what happened.

    Only 2xx answers count as requests served (and have their latency recorded); anything
    else is counted by status code, transport failures by exception name.
    """
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    headers = {"content-type": "application/json", **job.headers}
    # One client per connection: httpx's pool bookkeeping grows with the connections it holds
    # (here 1.2 ms of CPU per request with 8 in one pool, 3.8 ms with 32), one each stays flat.
    clients = connections.get(job.url, job.connections)
    start = time.perf_counter()
    deadline = start + job.duration_s

    async def connection(index: int) -> None:
        client = clients[index]
        ids = job.ids[index] if job.ids else []
        sent = 0
        while time.perf_counter() < deadline:
            url = job.url.format(id=ids[sent % len(ids)]) if ids else job.url
            body = job.bodies[(index + sent) % len(job.bodies)]
            sent += 1
            began = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as error:
                errors[type(error).__name__] += 1
                continue
            took = time.perf_counter() - began
            statuses[response.status_code] += 1
            if response.is_success:
                latencies.append(took)

    cpu_start = time.process_time()
    await asyncio.gather(*(connection(i) for i in range(job.connections)))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return Answer(
        requests=len(latencies),
        seconds=seconds,
        latencies=latencies,
        statuses={str(k): v for k, v in statuses.items()},
        errors=dict(errors),
        cpu_seconds=cpu,
    )


async def serve_jobs() -> None:
    """Answer each job on stdin with its result on stdout, until end of input."""
    loop = asyncio.get_running_loop()
    connections = Connections()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.buffer.readline)
            if not line.strip():
                return
            result = await run_job(Job.parse(line), connections)
            sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
            sys.stdout.buffer.flush()
    finally:
        await connections.close()


if __name__ == "__main__":
    skip_sniffio_lookups()
    asyncio.run(serve_jobs())
