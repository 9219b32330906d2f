"""Peak memory of each service when they run as separate processes, under the command load.

`irm serve` (all three in one process) is measured by `bench/http_commands.py`, after its load.
Here the services run apart, as a deployment that scales them separately would run them: the
API alone (`bench/api_app.py` under uvicorn), `irm projector` and `irm notifier`, with one
webhook subscription to a receiver on loopback so that the notifier sends as well as queues.
The same load as the command benchmark (updates and declares, 8 and 32 connections) goes to
the API and, in alternating rounds, to the bare FastAPI app of that benchmark.

Peak RSS is each process's VmHWM in /proc/<pid>/status, read after the load, while it still
runs: the most resident memory it ever had, start-up included. Baselines: the bare FastAPI app
for the API, and the bare follower of the projection-lag benchmark (asyncpg, LISTEN, one
tracking row) for the projector and the notifier.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from rich.console import Console

from bench.http_commands import COMMANDS, TARGET_RSS_MB
from bench.http_load import INCIDENTS_PER_CONNECTION, LoadGenerator, Plan, measure
from bench.http_servers import declare_incidents, prepare_database, start_server
from bench.processes import IRM, LOOPBACK_TARGETS, Process, service_env
from bench.processes import supervised as supervised_processes
from bench.projection_lag import start_bare_follower
from bench.report import Row
from bench.server import bench_database
from bench.webhook_receipts import ReceiverClient, subscribe

FULL = Plan(connections=(8, 32), round_s=1.5, rounds=1, warmup_s=0.5)
QUICK = Plan(connections=(32,), round_s=0.4, rounds=1, warmup_s=0.0)


@dataclass(frozen=True, slots=True)
class Peak:
    """One process's peak RSS against its baseline's."""

    process: str
    peak_mb: float
    baseline: str
    baseline_mb: float


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Start the split services and the baselines, load the API, read every peak."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url, supervised_processes() as supervisor:
        token = await prepare_database(url)
        console.log("memory: starting the API, irm projector, irm notifier and the baselines")
        receiver, api, ceiling = await asyncio.gather(
            ReceiverClient.start(supervisor),
            start_server(supervisor, "api", url),
            start_server(supervisor, "ceiling", url),
        )
        await receiver.close()  # only its address is needed here
        pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
        try:
            await subscribe(pool, [receiver.subscriber_url(0)])
        finally:
            await pool.close()
        irm_env = service_env(url, IRM_WEBHOOK_ALLOWED_TARGETS=LOOPBACK_TARGETS)
        projector = await supervisor.start("irm-projector", [IRM, "projector"], env=irm_env)
        notifier = await supervisor.start("irm-notifier", [IRM, "notifier"], env=irm_env)
        bare = await start_bare_follower(supervisor, url)
        loadgen = await LoadGenerator.start(supervisor)
        incidents = max(plan.connections) * INCIDENTS_PER_CONNECTION
        declared = await asyncio.gather(
            *(declare_incidents(s, token, incidents) for s in (api, ceiling))
        )
        ids = {api.side: declared[0], ceiling.side: declared[1]}
        for command in COMMANDS:
            for connections in plan.connections:
                console.log(f"memory: {command}, {connections} connections")
                await measure(loadgen, [api, ceiling], token, ids, command, connections, plan)
        await asyncio.sleep(0.5)  # let the followers finish the backlog the load left
        for process in (projector, notifier, bare):
            process.check_alive()
        peaks = [
            _peak("API alone (uvicorn)", api.process, "bare FastAPI", ceiling.process),
            _peak("irm projector", projector, "bare follower", bare),
            _peak("irm notifier", notifier, "bare follower", bare),
        ]
        return [row(p) for p in peaks]


def row(peak: Peak) -> Row:
    """One process's peak against the target."""
    return Row(
        benchmark=f"peak RSS · {peak.process}",
        measured=f"{peak.peak_mb:.0f} MB",
        baseline=f"{peak.baseline_mb:.0f} MB ({peak.baseline})",
        ratio=peak.peak_mb / peak.baseline_mb,
        target=f"≤ {TARGET_RSS_MB:g} MB",
        holds=peak.peak_mb <= TARGET_RSS_MB,
        details={
            "kind": "memory",
            "process": peak.process,
            "peak_rss_mb": round(peak.peak_mb, 1),
            "baseline": peak.baseline,
            "baseline_peak_rss_mb": round(peak.baseline_mb, 1),
        },
    )


def _peak(name: str, process: Process, baseline: str, base: Process) -> Peak:
    return Peak(name, process.peak_rss_mb(), baseline, base.peak_rss_mb())
