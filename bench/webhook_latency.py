"""Webhook latency: from an append's commit to the webhook's arrival at the receiver.

The notifier runs as `irm notifier`, in a process of its own, with the receiver
(`bench/receiver.py`) on 127.0.0.1 admitted through IRM_WEBHOOK_ALLOWED_TARGETS. Ten
subscriptions, each on its own path of the receiver, want every event. The benchmark's process
appends at a steady rate (`bench/writer.py`) and notes when each append's commit is
acknowledged; the receiver notes when each delivery arrives, on the same machine-wide clock.
A delivery's latency is the difference; each event counts ten times, once per subscriber.

At each rate (200 events/s, the target's; in a full run also 20 events/s, which the notifier
keeps up with here), each run on a fresh database with a fresh notifier:

1. ten healthy subscribers;
2. the same with an eleventh subscriber whose server accepts connections and never answers
   (IRM_WEBHOOK_TIMEOUT is short in both runs); only the ten healthy ones are measured, and
   their baseline is run 1.

The baseline of run 1 is the transport alone: the benchmark's process POSTs the same bodies
straight to the receiver with one httpx AsyncClient and as many sender tasks as the notifier
may have deliveries in flight, ten POSTs per event at the same rate.

A run waits a bounded time for stragglers; a delivery still missing then counts with the time
it had waited, so percentiles that reach into those are lower bounds (shown with `≥`).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from rich.console import Console

from bench.append import POOL_SIZE
from bench.processes import (
    IRM,
    LOOPBACK,
    Process,
    Supervisor,
    clean_env,
    supervised,
)
from bench.report import Detail, Row
from bench.server import bench_database
from bench.webhook_baseline import post_loop
from bench.webhook_receipts import SUBSCRIBERS, Deliveries, ReceiverClient, collect
from bench.writer import PacedWriter
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore
from shared.webhooks.subscriptions import create_subscription

TARGET_RATE = 200
INCIDENTS = 10
WEBHOOK_TIMEOUT_S = 1.0
TARGET_P99_MS = 25.0
TARGET_DEAD_RATIO = 1.2


@dataclass(frozen=True, slots=True)
class Plan:
    """Rates, how long each is held, and how long stragglers are waited for."""

    rates: tuple[int, ...]
    duration_s: float
    warmup_s: float
    drain_s: float


FULL = Plan(rates=(TARGET_RATE, 20), duration_s=4.0, warmup_s=0.5, drain_s=10.0)
QUICK = Plan(rates=(TARGET_RATE,), duration_s=0.5, warmup_s=0.0, drain_s=1.5)


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """At each rate: ten healthy subscribers, the baseline, then a dead subscriber too."""
    plan = QUICK if quick else FULL
    async with supervised() as supervisor:
        receiver = await ReceiverClient.start(supervisor)
        rows: list[Row] = []
        try:
            for rate in plan.rates:
                console.log(f"webhooks: {SUBSCRIBERS} subscribers, {rate} events/s")
                healthy, body = await notifier_run(server_url, plan, rate, receiver, dead_port=None)
                console.log(f"webhooks: baseline at {rate} events/s, httpx to the receiver")
                baseline = await post_loop(
                    receiver,
                    body,
                    rate=rate,
                    duration_s=plan.duration_s,
                    warmup_s=plan.warmup_s,
                    drain_s=plan.drain_s,
                    timeout_s=WEBHOOK_TIMEOUT_S,
                )
                console.log(f"webhooks: {SUBSCRIBERS} subscribers and a dead one, {rate} events/s")
                with_dead, _ = await notifier_run(
                    server_url, plan, rate, receiver, dead_port=receiver.dead_port
                )
                rows += [healthy_row(rate, healthy, baseline), dead_row(rate, with_dead, healthy)]
        finally:
            await receiver.close()
    return rows


async def notifier_run(
    server_url: str, plan: Plan, rate: int, receiver: ReceiverClient, *, dead_port: int | None
) -> tuple[Deliveries, bytes]:
    """One run on a fresh database; returns its deliveries and one delivered body."""
    async with bench_database(server_url) as url, supervised() as supervisor:
        pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
        try:
            await receiver.arrivals()  # start afresh
            await subscribe(pool, receiver.base_url, dead_port)
            writer = PacedWriter(EventStore(pool, build_mapper()), incidents=INCIDENTS)
            head = await writer.declare_all()
            notifier = await start_notifier(supervisor, url)
            if not await receiver.wait_for(head, timeout_s=60, notifier=notifier):
                raise RuntimeError(f"no declarations delivered in time:\n{notifier.stderr()}")
            if plan.warmup_s:
                warmup = await writer.run(rate=rate, duration_s=plan.warmup_s)
                warm_last = max(c.position for c in warmup.commits)
                await receiver.wait_for(warm_last, timeout_s=plan.drain_s, notifier=notifier)
            await receiver.arrivals()
            cpu_before = notifier.cpu_seconds()
            written = await writer.run(rate=rate, duration_s=plan.duration_s)
            last = max(c.position for c in written.commits)
            await receiver.wait_for(last, timeout_s=plan.drain_s, notifier=notifier)
            cpu = notifier.cpu_seconds() - cpu_before
            committed = {c.position: c.at for c in written.commits}
            deliveries = collect(committed, await receiver.arrivals(), written.per_second, cpu)
            body = await pool.fetchval("SELECT body FROM irm_deliveries ORDER BY seq LIMIT 1")
            return deliveries, bytes(body)
        finally:
            await pool.close()


async def subscribe(pool: asyncpg.Pool, base_url: str, dead_port: int | None) -> None:
    """Ten healthy subscriptions to every event, and the dead one if asked for."""
    urls = [f"{base_url}/s/{i}" for i in range(SUBSCRIBERS)]
    if dead_port is not None:
        urls.append(f"http://{LOOPBACK}:{dead_port}/s/dead")
    for url in urls:
        await create_subscription(
            pool, url=url, event_types=[], severities=[], description=None, created_by="bench"
        )


async def start_notifier(supervisor: Supervisor, url: str) -> Process:
    """`irm notifier` on the benchmark's database, allowed to reach loopback."""
    return await supervisor.start(
        "irm-notifier",
        [IRM, "notifier"],
        env=clean_env(
            IRM_DATABASE_URL=url,
            IRM_LOG_LEVEL="WARNING",
            IRM_WEBHOOK_ALLOWED_TARGETS="127.0.0.0/8",
            IRM_WEBHOOK_TIMEOUT=str(WEBHOOK_TIMEOUT_S),
        ),
    )


def healthy_row(rate: int, ours: Deliveries, baseline: Deliveries) -> Row:
    """Ten healthy subscribers, against httpx straight to the receiver."""
    mine, theirs = ours.summary, baseline.summary
    has_target = rate == TARGET_RATE
    return Row(
        benchmark=f"webhooks · {SUBSCRIBERS} subscribers · {rate} events/s",
        measured=_figure(ours),
        baseline=_figure(baseline),
        ratio=mine.p99_ms / theirs.p99_ms,
        target=f"p99 ≤ {TARGET_P99_MS:g} ms" if has_target else "lower is better",
        holds=(ours.complete and mine.p99_ms <= TARGET_P99_MS) if has_target else None,
        details=_details(rate, ours)
        | {
            "baseline_arrived": baseline.arrived,
            "baseline_achieved_rate": round(baseline.achieved_rate, 1),
            "baseline_p50_ms": round(theirs.median_ms, 3),
            "baseline_p95_ms": round(theirs.p95_ms, 3),
            "baseline_p99_ms": round(theirs.p99_ms, 3),
        },
    )


def dead_row(rate: int, with_dead: Deliveries, healthy: Deliveries) -> Row:
    """The healthy subscribers' latency next to a dead one, against the healthy run."""
    ratio = with_dead.summary.p99_ms / healthy.summary.p99_ms
    return Row(
        benchmark=f"webhooks · {SUBSCRIBERS} + 1 dead subscriber · {rate} events/s",
        measured=_figure(with_dead),
        baseline=_figure(healthy),
        ratio=ratio,
        target=f"p99 ≤ {TARGET_DEAD_RATIO:g} x healthy run",
        holds=with_dead.complete and ratio <= TARGET_DEAD_RATIO,
        details=_details(rate, with_dead)
        | {
            "dead_subscriber_timeout_s": WEBHOOK_TIMEOUT_S,
            "baseline": "the healthy run at the same rate",
            "baseline_p50_ms": round(healthy.summary.median_ms, 3),
            "baseline_p99_ms": round(healthy.summary.p99_ms, 3),
        },
    )


def _details(rate: int, deliveries: Deliveries) -> dict[str, Detail | list[float]]:
    summary = deliveries.summary
    return {
        "kind": "webhooks",
        "rate": rate,
        "subscribers": SUBSCRIBERS,
        "arrived": deliveries.arrived,
        "expected": len(deliveries.latencies),
        "achieved_rate": round(deliveries.achieved_rate, 1),
        "p50_ms": round(summary.median_ms, 3),
        "p95_ms": round(summary.p95_ms, 3),
        "p99_ms": round(summary.p99_ms, 3),
        "notifier_cpu_us_per_delivery": round(
            1e6 * deliveries.notifier_cpu_s / max(1, deliveries.arrived), 1
        ),
    }


def _figure(deliveries: Deliveries) -> str:
    summary = deliveries.summary
    figure = f"p50 {_time(summary.median_ms)} · p99 {_time(summary.p99_ms)}"
    if not deliveries.complete:
        figure = f"≥ {figure}, {deliveries.arrived:,}/{len(deliveries.latencies):,} arrived"
    return figure


def _time(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 1_000 else f"{ms / 1_000:.1f} s"
