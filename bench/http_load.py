"""Driving the load generator (`bench/loadgen.py`): jobs out, round results back.

Rounds against several servers alternate, rotating who goes first, so a slow spell of the
machine falls on all of them alike.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import orjson

from bench.http_servers import Server, declare_bodies
from bench.loadgen import Answer
from bench.processes import PYTHON, Process, Supervisor, clean_env

INCIDENTS_PER_CONNECTION = 4

_WORDS = (
    "checkout latency error rate rollback canary deploy region database replica lag pool "
    "saturated retries timeout queue backlog cache mitigation failover investigating stable"
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Connection counts, and how long each timed round (and the warm-up) lasts."""

    connections: tuple[int, ...]
    round_s: float
    rounds: int
    warmup_s: float


@dataclass(frozen=True, slots=True)
class RoundResult:
    """One round against one server."""

    requests: int
    seconds: float
    latencies: list[float]
    failures: dict[str, int]
    client_cpu_s: float
    server_cpu_s: float

    @property
    def per_second(self) -> float:
        """Requests answered with 2xx per second."""
        return self.requests / self.seconds


class LoadGenerator:
    """The `bench.loadgen` process: one job in, one result out, over its stdin and stdout."""

    def __init__(self, process: Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, supervisor: Supervisor) -> LoadGenerator:
        """Start the generator process."""
        process = await supervisor.start(
            "loadgen",
            [PYTHON, "-m", "bench.loadgen"],
            env=clean_env(),
            stdin=True,
            stdout=True,
        )
        return cls(process)

    async def run(self, job: dict[str, object], server: Server) -> RoundResult:
        """Run one job against `server`, counting the server's CPU time over it."""
        server.process.check_alive()
        cpu_before = server.process.cpu_seconds()
        answer = await asyncio.to_thread(self._exchange, orjson.dumps(job) + b"\n")
        server_cpu = server.process.cpu_seconds() - cpu_before
        failures = {f"HTTP {k}": v for k, v in answer["statuses"].items() if not k.startswith("2")}
        failures |= answer["errors"]
        return RoundResult(
            requests=answer["requests"],
            seconds=answer["seconds"],
            latencies=answer["latencies"],
            failures=failures,
            client_cpu_s=answer["cpu_seconds"],
            server_cpu_s=server_cpu,
        )

    def _exchange(self, line: bytes) -> Answer:
        stdin, stdout = self._process.popen.stdin, self._process.popen.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(line)
        stdin.flush()
        answer = stdout.readline()
        if not answer:
            self._process.check_alive()
            raise RuntimeError(f"the load generator stopped answering:\n{self._process.stderr()}")
        result: Answer = orjson.loads(answer)
        return result


async def measure(
    loadgen: LoadGenerator,
    servers: list[Server],
    token: str,
    ids: dict[str, list[str]],
    command: str,
    connections: int,
    plan: Plan,
) -> dict[str, list[RoundResult]]:
    """Alternate rounds of the servers; the first (warm-up) round, if any, is dropped."""
    results: dict[str, list[RoundResult]] = {s.side: [] for s in servers}
    for index in range(0 if plan.warmup_s else 1, plan.rounds + 1):
        duration = plan.round_s if index else plan.warmup_s
        shift = index % len(servers)
        for server in servers[shift:] + servers[:shift]:
            job = job_for(server, command, connections, duration, token, ids[server.side])
            result = await loadgen.run(job, server)
            if index:
                results[server.side].append(result)
    return results


def job_for(
    server: Server,
    command: str,
    connections: int,
    duration_s: float,
    token: str,
    ids: list[str],
) -> dict[str, object]:
    """The load generator's job: which URL, how many connections, which bodies."""
    if command == "update":
        url = server.base_url + "/v1/incidents/{id}/updates"
        per = INCIDENTS_PER_CONNECTION
        split = [ids[i * per : (i + 1) * per] for i in range(connections)]
        bodies = update_bodies(64)
    else:
        url, split, bodies = server.base_url + "/v1/incidents", [], declare_bodies(64)
    return {
        "url": url,
        "connections": connections,
        "duration_s": duration_s,
        "bodies": [b.decode() for b in bodies],
        "ids": split,
        "headers": {"authorization": f"Bearer {token}"},
    }


def update_bodies(count: int) -> list[bytes]:
    """Internal updates of 15 to 90 words (seeded)."""
    rng = random.Random(count)
    return [
        orjson.dumps(
            {
                "audience": "internal",
                "body": " ".join(rng.choices(_WORDS.split(), k=rng.randint(15, 90))),
            }
        )
        for _ in range(count)
    ]
