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
import statistics
from collections.abc import Sequence

from rich.console import Console

from bench.http_load import (
    INCIDENTS_PER_CONNECTION,
    LoadGenerator,
    Plan,
    RoundResult,
    measure,
)
from bench.http_servers import Server, declare_incidents, prepare_database, start_servers
from bench.processes import supervised
from bench.report import Row, throughput
from bench.server import bench_database
from bench.stats import median_rate, pooled_latency, round_ratios

SIDES = ("ours", "ceiling", "eventsourcing")
COMMANDS = ("update", "declare")
TARGET_VS_CEILING = 0.75
TARGET_VS_ES = 3.0
TARGET_RSS_MB = 150.0

FULL = Plan(connections=(8, 32), round_s=1.5, rounds=3, warmup_s=0.5)
QUICK = Plan(connections=(8, 32), round_s=0.5, rounds=1, warmup_s=0.0)


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Start the three servers and the generator, then time rounds of each command."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url, supervised() as supervisor:
        token = await prepare_database(url)
        console.log("http_commands: starting irm serve, the two baselines and the load generator")
        servers = await start_servers(supervisor, url, SIDES)
        loadgen = await LoadGenerator.start(supervisor)
        incidents = max(plan.connections) * INCIDENTS_PER_CONNECTION
        declared = await asyncio.gather(*(declare_incidents(s, token, incidents) for s in servers))
        ids = {s.side: d for s, d in zip(servers, declared, strict=True)}
        rows: list[Row] = []
        for command in COMMANDS:
            for connections in plan.connections:
                console.log(f"http_commands: {command}, {connections} connections")
                results = await measure(loadgen, servers, token, ids, command, connections, plan)
                rows += command_rows(command, connections, results)
        rows.append(memory_row(servers))
        return rows


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
        ratios = round_ratios(ours, theirs)
        ratio = statistics.median(ratios)
        mine, base = pooled_latency(ours), pooled_latency(theirs)
        rows.append(
            Row(
                benchmark=f"http {command} · {connections} conns · vs {label}",
                measured=throughput(median_rate(ours), mine),
                baseline=throughput(median_rate(theirs), base),
                ratio=ratio,
                target=f"ratio ≥ {target:g}",
                holds=ratio >= target,
                details={
                    "kind": "http_commands",
                    "command": command,
                    "connections": connections,
                    "baseline_kind": side,
                    "rounds": len(ours),
                    "requests_per_s": round(median_rate(ours), 1),
                    "p50_ms": round(mine.median_ms, 3),
                    "p99_ms": round(mine.p99_ms, 3),
                    "baseline_requests_per_s": round(median_rate(theirs), 1),
                    "baseline_p50_ms": round(base.median_ms, 3),
                    "baseline_p99_ms": round(base.p99_ms, 3),
                    "server_cpu_ms_per_request": round(_server_cpu_ms(ours), 3),
                    "baseline_server_cpu_ms_per_request": round(_server_cpu_ms(theirs), 3),
                    "loadgen_cpu_ms_per_request": round(_client_cpu_ms(ours), 3),
                    "loadgen_busy_share": round(_client_busy(ours), 3),
                    "baseline_loadgen_busy_share": round(_client_busy(theirs), 3),
                    "failures": str(_failures(ours)),
                    "baseline_failures": str(_failures(theirs)),
                    "round_ratios": [round(r, 3) for r in ratios],
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
