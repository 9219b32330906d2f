"""Command throughput over HTTP: `irm serve` against two baselines, on one database, in one run.

Three servers run side by side, each in a process of its own, on the same benchmark database:

- ours: `irm serve` (the API with the projector and the notifier in the same process, as a
  one-process install runs it), with a write token made through the tokens table;
- (a) the ceiling, `bench/ceiling_app.py`: a bare FastAPI endpoint doing one asyncpg INSERT
  under the same EXCLUSIVE lock and NOTIFY;
- (b) eventsourcing, `bench/es_app.py`: sync endpoints calling eventsourcing's Application.

The load comes from `bench/loadgen.py`, an asyncio + httpx generator in a fourth process: N
keep-alive connections (8, then 32), each sending its next request when the last is answered.
For updates, each connection cycles over incidents of its own (declared beforehand), so no two
requests race for the same incident and no retry is ever measured. Timed rounds of the three
servers alternate, rotating who goes first; the first round warms up and is dropped.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import orjson
from rich.console import Console

from bench.append import POOL_SIZE, create_ceiling_table
from bench.processes import (
    IRM,
    LOOPBACK,
    PYTHON,
    Process,
    Supervisor,
    clean_env,
    free_port,
    http_ready,
    supervised,
)
from bench.report import Row
from bench.server import bench_database, conn_params
from bench.stats import Summary, summarise
from bench.workload import PEOPLE
from shared.tokens import Scope, create_token

SIDES = ("ours", "ceiling", "eventsourcing")
COMMANDS = ("update", "declare")
INCIDENTS_PER_CONNECTION = 4
TARGET_VS_CEILING = 0.75
TARGET_VS_ES = 3.0
TARGET_RSS_MB = 150.0
_WORDS = (
    "checkout latency error rate rollback canary deploy region database replica lag pool "
    "saturated retries timeout queue backlog cache mitigation failover investigating stable"
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Connection counts, and how long each timed round lasts."""

    connections: tuple[int, ...]
    round_s: float
    rounds: int
    warmup_s: float


FULL = Plan(connections=(8, 32), round_s=1.5, rounds=3, warmup_s=0.5)
QUICK = Plan(connections=(8, 32), round_s=0.5, rounds=1, warmup_s=0.0)


@dataclass(frozen=True, slots=True)
class Server:
    """One of the servers under test."""

    side: str
    process: Process
    base_url: str


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

    def _exchange(self, line: bytes) -> dict[str, Any]:
        stdin, stdout = self._process.popen.stdin, self._process.popen.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(line)
        stdin.flush()
        answer = stdout.readline()
        if not answer:
            self._process.check_alive()
            raise RuntimeError(f"the load generator stopped answering:\n{self._process.stderr()}")
        result: dict[str, Any] = orjson.loads(answer)
        return result


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Start the three servers and the generator, then time rounds of each command."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url, supervised() as supervisor:
        token = await prepare_database(url)
        console.log("http_commands: starting irm serve, the two baselines and the load generator")
        servers = await start_servers(supervisor, url)
        loadgen = await LoadGenerator.start(supervisor)
        incidents = max(plan.connections) * INCIDENTS_PER_CONNECTION
        ids = {s.side: await declare_incidents(s, token, incidents) for s in servers}
        rows: list[Row] = []
        for command in COMMANDS:
            for connections in plan.connections:
                console.log(f"http_commands: {command}, {connections} connections")
                results = await measure(loadgen, servers, token, ids, command, connections, plan)
                rows += command_rows(command, connections, results)
        rows.append(memory_row(servers))
        return rows


async def prepare_database(url: str) -> str:
    """The ceiling's table, and a write token for ours; returns the token."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await create_ceiling_table(pool)
        return await create_token(pool, principal="bench", scope=Scope.WRITE)
    finally:
        await pool.close()


async def start_servers(supervisor: Supervisor, url: str) -> list[Server]:
    """Start ours and both baselines at once."""
    return list(await asyncio.gather(*(start_server(supervisor, side, url) for side in SIDES)))


async def start_server(supervisor: Supervisor, side: str, url: str) -> Server:
    """Start one server on a free port; it is ready when its health check answers 200."""
    port = free_port()
    if side == "ours":
        args = [IRM, "serve", "--host", LOOPBACK, "--port", str(port)]
        env, health = clean_env(IRM_DATABASE_URL=url, IRM_LOG_LEVEL="WARNING"), "/readyz"
    elif side == "api":
        args = uvicorn_args("bench.api_app:create", port)
        env, health = clean_env(IRM_DATABASE_URL=url, IRM_LOG_LEVEL="WARNING"), "/readyz"
    elif side == "ceiling":
        args = uvicorn_args("bench.ceiling_app:create_app", port)
        env, health = clean_env(BENCH_DATABASE_URL=url), "/healthz"
    else:
        args = uvicorn_args("bench.es_app:create_app", port)
        env, health = clean_env(**eventsourcing_env(url)), "/healthz"
    base_url = f"http://{LOOPBACK}:{port}"
    process = await supervisor.start(side, args, env=env, ready=http_ready(base_url + health))
    return Server(side, process, base_url)


def eventsourcing_env(url: str) -> dict[str, str]:
    """eventsourcing's documented configuration: POSTGRES_* variables, our pool size."""
    params = conn_params(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params.dbname,
        "POSTGRES_HOST": params.host,
        "POSTGRES_PORT": params.port,
        "POSTGRES_USER": params.user,
        "POSTGRES_PASSWORD": params.password,
        "POSTGRES_POOL_SIZE": str(POOL_SIZE),
        "POSTGRES_MAX_OVERFLOW": "0",
        "CREATE_TABLE": "y",
    }


def uvicorn_args(factory: str, port: int) -> list[str]:
    """uvicorn serving an app factory on loopback, quietly."""
    return [
        PYTHON,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


async def declare_incidents(server: Server, token: str, count: int) -> list[str]:
    """Declare `count` incidents through the server's own endpoint (none for the ceiling)."""
    if server.side == "ceiling":
        return [str(uuid.uuid4()) for _ in range(count)]
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    bodies = declare_bodies(count)
    async with httpx.AsyncClient(base_url=server.base_url, trust_env=False, timeout=30) as client:

        async def declare(share: list[bytes]) -> list[str]:
            ids = []
            for body in share:
                response = await client.post("/v1/incidents", content=body, headers=headers)
                response.raise_for_status()
                ids.append(str(response.json()["id"]))
            return ids

        shares = await asyncio.gather(*(declare(bodies[i::8]) for i in range(8)))
    return [incident_id for share in shares for incident_id in share]


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


def declare_bodies(count: int) -> list[bytes]:
    """Declarations like the ones the workload makes (seeded)."""
    rng = random.Random(count)
    return [
        orjson.dumps(
            {
                "title": f"Checkout returns 500 for EU customers ({i})",
                "description": "Error rate on checkout-api above 5% since the 14:02 deploy.",
                "criteria": ["customer_sla_at_risk", "production_workloads_affected"],
                "severity": rng.choice(("P1", "P2", "P3")),
                "services": ["checkout-api", "payments"],
                "owner": rng.choice(PEOPLE),
            }
        )
        for i in range(count)
    ]


def command_rows(
    command: str, connections: int, results: dict[str, list[RoundResult]]
) -> list[Row]:
    """Ours against the ceiling, and ours against eventsourcing."""
    ours = results["ours"]
    rows = []
    for side, label, target in (
        ("ceiling", "bare FastAPI (a)", TARGET_VS_CEILING),
        ("eventsourcing", "eventsourcing (b)", TARGET_VS_ES),
    ):
        theirs = results[side]
        round_ratios = [o.per_second / t.per_second for o, t in zip(ours, theirs, strict=True)]
        ratio = statistics.median(round_ratios)
        mine, base = _latency(ours), _latency(theirs)
        rows.append(
            Row(
                benchmark=f"http {command} · {connections} conns · vs {label}",
                measured=_figure(_rate(ours), mine),
                baseline=_figure(_rate(theirs), base),
                ratio=ratio,
                target=f"ratio ≥ {target:g}",
                holds=ratio >= target,
                details={
                    "kind": "http_commands",
                    "command": command,
                    "connections": connections,
                    "baseline_kind": side,
                    "rounds": len(ours),
                    "requests_per_s": round(_rate(ours), 1),
                    "p50_ms": round(mine.median_ms, 3),
                    "p99_ms": round(mine.p99_ms, 3),
                    "baseline_requests_per_s": round(_rate(theirs), 1),
                    "baseline_p50_ms": round(base.median_ms, 3),
                    "baseline_p99_ms": round(base.p99_ms, 3),
                    "server_cpu_ms_per_request": round(_server_cpu_ms(ours), 3),
                    "baseline_server_cpu_ms_per_request": round(_server_cpu_ms(theirs), 3),
                    "loadgen_cpu_ms_per_request": round(_client_cpu_ms(ours), 3),
                    "loadgen_busy_share": round(_client_busy(ours), 3),
                    "baseline_loadgen_busy_share": round(_client_busy(theirs), 3),
                    "failures": str(_failures(ours)),
                    "baseline_failures": str(_failures(theirs)),
                    "round_ratios": [round(r, 3) for r in round_ratios],
                },
            )
        )
    return rows


def memory_row(servers: list[Server]) -> Row:
    """Peak RSS of `irm serve` after all the load, against the bare FastAPI process."""
    peaks = {s.side: s.process.peak_rss_mb() for s in servers}
    return Row(
        benchmark="peak RSS · irm serve (API + projector + notifier)",
        measured=f"{peaks['ours']:.0f} MB",
        baseline=f"{peaks['ceiling']:.0f} MB (bare FastAPI)",
        ratio=peaks["ours"] / peaks["ceiling"],
        target=f"≤ {TARGET_RSS_MB:g} MB",
        holds=peaks["ours"] <= TARGET_RSS_MB,
        details={
            "kind": "memory",
            "process": "irm serve",
            "peak_rss_mb": round(peaks["ours"], 1),
            "baseline_peak_rss_mb": round(peaks["ceiling"], 1),
            "eventsourcing_app_peak_rss_mb": round(peaks["eventsourcing"], 1),
        },
    )


def _rate(rounds: Sequence[RoundResult]) -> float:
    return statistics.median(r.per_second for r in rounds)


def _latency(rounds: Sequence[RoundResult]) -> Summary:
    return summarise([s for r in rounds for s in r.latencies])


def _server_cpu_ms(rounds: Sequence[RoundResult]) -> float:
    return 1e3 * sum(r.server_cpu_s for r in rounds) / max(1, sum(r.requests for r in rounds))


def _client_cpu_ms(rounds: Sequence[RoundResult]) -> float:
    return 1e3 * sum(r.client_cpu_s for r in rounds) / max(1, sum(r.requests for r in rounds))


def _client_busy(rounds: Sequence[RoundResult]) -> float:
    """Share of one core the generator used: near 1.0 would make it the bottleneck."""
    return sum(r.client_cpu_s for r in rounds) / sum(r.seconds for r in rounds)


def _failures(rounds: Sequence[RoundResult]) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in rounds:
        for kind, count in r.failures.items():
            total[kind] = total.get(kind, 0) + count
    return total


def _figure(rate: float, latency: Summary) -> str:
    return f"{rate:,.0f}/s · p50 {latency.median_ms:.1f} · p99 {latency.p99_ms:.1f} ms"
