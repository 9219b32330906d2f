"""Rebuild rate: `rebuild_read_models` over a log of 100,000 events, against reading that log.

The log holds incidents of 100 events each, written through the aggregate's own commands
(`bench/workload.py`, seeded), stored in one append per incident. Ours is
`services.projector.rebuild.rebuild_read_models` with the CLI's default batch size: it replays
the log into fresh tables and switches them in. The baseline reads the same log, in batches of
the same size, with the same `EventStore.read_log` the rebuild uses (decoding every event) and
does nothing else: what any replay must pay before it projects anything. Runs of the two
alternate; the medians are compared.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import asyncpg
from rich.console import Console

from bench.report import Row
from bench.server import bench_database
from bench.workload import Script, declare
from services.projector.rebuild import rebuild_read_models
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, parse_cadence
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore

EVENTS_PER_INCIDENT = 100
BATCH_SIZE = 5_000
"""`irm projector rebuild`'s default batch size."""
TARGET_PER_S = 30_000


@dataclass(frozen=True, slots=True)
class Plan:
    """How many events, and how many runs of each side."""

    events: int
    runs: int


FULL = Plan(events=100_000, runs=3)
QUICK = Plan(events=10_000, runs=1)


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Fill a log, then time rebuilds and plain reads of it, alternating."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url:
        pool = await asyncpg.create_pool(url, min_size=2, max_size=4)
        try:
            store = EventStore(pool, build_mapper())
            console.log(f"rebuild: writing {plan.events:,} events")
            await fill_log(store, plan.events)
            cadence = parse_cadence(DEFAULT_UPDATE_CADENCE)
            rebuilds: list[float] = []
            reads: list[float] = []
            console.log(f"rebuild: {plan.runs} rebuilds and reads, alternating")
            for index in range(plan.runs):
                for side in ("rebuild", "read") if index % 2 == 0 else ("read", "rebuild"):
                    start = time.perf_counter()
                    if side == "rebuild":
                        result = await rebuild_read_models(
                            pool, store, cadence, batch_size=BATCH_SIZE
                        )
                        if result.events != plan.events:
                            raise RuntimeError(f"rebuild saw {result.events} events")
                        rebuilds.append(time.perf_counter() - start)
                    else:
                        read = await read_everything(store)
                        if read != plan.events:
                            raise RuntimeError(f"read {read} events")
                        reads.append(time.perf_counter() - start)
            return [rebuild_row(plan, rebuilds, reads)]
        finally:
            await pool.close()


async def fill_log(store: EventStore, events: int) -> None:
    """Incidents of EVENTS_PER_INCIDENT events, one append each, until `events` are stored."""
    for number in range(1, events // EVENTS_PER_INCIDENT + 1):
        incident = declare(number)
        Script(incident, seed=number).run(EVENTS_PER_INCIDENT - 1)
        await store.append(incident.collect_events())


async def read_everything(store: EventStore) -> int:
    """Read the whole log in BATCH_SIZE batches, decoding each event; returns the count."""
    position, count = 0, 0
    while True:
        batch = await store.read_log(after=position, limit=BATCH_SIZE)
        if not batch:
            return count
        position, count = batch[-1].position, count + len(batch)
        if len(batch) < BATCH_SIZE:
            return count


def rebuild_row(plan: Plan, rebuilds: list[float], reads: list[float]) -> Row:
    """Events per second of the median rebuild, against the median read."""
    ours = plan.events / statistics.median(rebuilds)
    base = plan.events / statistics.median(reads)
    return Row(
        benchmark=f"rebuild · {plan.events:,} events",
        measured=f"{ours:,.0f} events/s",
        baseline=f"{base:,.0f} events/s",
        ratio=ours / base,
        target=f"≥ {TARGET_PER_S:,} events/s",
        holds=ours >= TARGET_PER_S,
        details={
            "kind": "rebuild",
            "events": plan.events,
            "incidents": plan.events // EVENTS_PER_INCIDENT,
            "batch_size": BATCH_SIZE,
            "events_per_s": round(ours, 1),
            "baseline_events_per_s": round(base, 1),
            "rebuild_s": [round(s, 3) for s in rebuilds],
            "read_s": [round(s, 3) for s in reads],
        },
    )
