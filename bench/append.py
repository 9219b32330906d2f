"""Append throughput: N concurrent writers, each appending single events to its own incident.

Ours is EventStore.append. The baseline is the ceiling for our locking rule: a bare asyncpg
transaction that takes the same EXCLUSIVE lock, NOTIFYs and INSERTs one pre-serialised row
into a table shaped like ours, on a pool of the same size. Rounds of the two alternate.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial

import asyncpg
from eventsourcing.persistence import StoredEvent
from rich.console import Console

from bench.report import Row, throughput
from bench.server import bench_database
from bench.stats import median_rate, pooled_latency, round_ratios
from bench.workload import Events, Script, declare
from shared.eventstore.mapper import build_mapper
from shared.eventstore.schema import EVENTS_TABLE
from shared.eventstore.store import EventStore
from shared.settings import CommonSettings

CEILING_TABLE = "bench_ceiling_events"
POOL_SIZE: int = CommonSettings.model_fields["db_pool_max_size"].default
"""The services' default pool size, for both sides."""
TARGET_RATIO = 0.75

_LOCK_AND_NOTIFY = f"LOCK TABLE {CEILING_TABLE} IN EXCLUSIVE MODE; NOTIFY {CEILING_TABLE}"
_INSERT = (
    f"INSERT INTO {CEILING_TABLE} (originator_id, originator_version, topic, state) "  # noqa: S608
    "VALUES ($1, $2, $3, $4) RETURNING notification_id"
)

Append = Callable[[], Awaitable[object]]
Writer = list[Append]


@dataclass(frozen=True, slots=True)
class Plan:
    """Writer counts, and how much each timed round appends."""

    writers: tuple[int, ...]
    events_per_round: int
    rounds: int


FULL = Plan(writers=(8, 32), events_per_round=800, rounds=12)
QUICK = Plan(writers=(8, 32), events_per_round=128, rounds=2)


@dataclass(frozen=True, slots=True)
class RoundResult:
    """One round: how many events, how long it took, each append's latency, our CPU time."""

    events: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float
    """CPU time of this (client) process over the round: what the 2 cores give the writers."""

    @property
    def per_second(self) -> float:
        """Events appended per second over the round."""
        return self.events / self.seconds


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Time rounds of ours and of the ceiling, alternating, for each writer count."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url:
        pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
        try:
            await create_ceiling_table(pool)
            store = EventStore(pool, build_mapper())
            numbers = itertools.count(1)
            rows = []
            for writers in plan.writers:
                console.log(f"append: {writers} writers")
                per_writer = plan.events_per_round // writers
                ours: list[RoundResult] = []
                ceiling: list[RoundResult] = []
                for index in range(plan.rounds + 1):  # round 0 warms both up and is dropped
                    mine = await prepare_ours(store, writers, per_writer, numbers)
                    theirs = await prepare_ceiling(pool, writers, per_writer, numbers)
                    if index % 2:
                        ceiling_result = await timed_round(theirs)
                        ours_result = await timed_round(mine)
                    else:
                        ours_result = await timed_round(mine)
                        ceiling_result = await timed_round(theirs)
                    if index:
                        ours.append(ours_result)
                        ceiling.append(ceiling_result)
                rows.append(row(writers, ours, ceiling))
            return rows
        finally:
            await pool.close()


async def create_ceiling_table(pool: asyncpg.Pool) -> None:
    """A table like our events table, as the migrations made it: the same columns, keys,
    index and storage options (`LIKE` copies all but the storage options, read here), and a
    notification id sequence of its own."""
    options = await pool.fetchval(
        "SELECT reloptions FROM pg_class WHERE oid = $1::regclass", EVENTS_TABLE
    )
    storage = f"WITH ({', '.join(options)})" if options else ""
    sequence = f"{CEILING_TABLE}_notification_id_seq"
    await pool.execute(
        f"""CREATE TABLE {CEILING_TABLE} (LIKE {EVENTS_TABLE} INCLUDING ALL) {storage};
        CREATE SEQUENCE {sequence} AS bigint OWNED BY {CEILING_TABLE}.notification_id;
        ALTER TABLE {CEILING_TABLE}
            ALTER COLUMN notification_id SET DEFAULT nextval('{sequence}')"""
    )


def scripted_incidents(
    writers: int, per_writer: int, numbers: itertools.count[int]
) -> Iterator[tuple[Events, Events]]:
    """An incident per writer: its declaration, and `per_writer` events scripted after it."""
    for _ in range(writers):
        number = next(numbers)
        incident = declare(number)
        declared = incident.collect_events()
        Script(incident, seed=number).run(per_writer)
        yield declared, incident.collect_events()


async def prepare_ours(
    store: EventStore, writers: int, per_writer: int, numbers: itertools.count[int]
) -> list[Writer]:
    """Store each writer's declaration; its scripted events are left to append."""
    prepared: list[Writer] = []
    for declared, scripted in scripted_incidents(writers, per_writer, numbers):
        await store.append(declared)
        prepared.append([partial(store.append, [event]) for event in scripted])
    return prepared


async def prepare_ceiling(
    pool: asyncpg.Pool, writers: int, per_writer: int, numbers: itertools.count[int]
) -> list[Writer]:
    """The same, serialised up front: the ceiling only moves bytes."""
    mapper = build_mapper()
    prepared: list[Writer] = []
    for declared, scripted in scripted_incidents(writers, per_writer, numbers):
        for event in declared:
            await ceiling_append(pool, mapper.to_stored_event(event))
        stored = [mapper.to_stored_event(event) for event in scripted]
        prepared.append([partial(ceiling_append, pool, s) for s in stored])
    return prepared


async def ceiling_append(pool: asyncpg.Pool, stored: StoredEvent) -> int:
    """One row, under the same lock and NOTIFY as ours, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_LOCK_AND_NOTIFY)
        position = await conn.fetchval(
            _INSERT, stored.originator_id, stored.originator_version, stored.topic, stored.state
        )
    return int(position)


async def timed_round(writers: list[Writer]) -> RoundResult:
    """Run all writers concurrently, each appending its events one at a time."""
    latencies: list[float] = []

    async def write(appends: Writer) -> None:
        for append in appends:
            start = time.perf_counter()
            await append()
            latencies.append(time.perf_counter() - start)

    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    await asyncio.gather(*(write(w) for w in writers))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return RoundResult(len(latencies), seconds, latencies, cpu)


def row(writers: int, ours: list[RoundResult], ceiling: list[RoundResult]) -> Row:
    """Median throughput over the rounds; latency percentiles over all appends; the ratio is
    the median of the round ratios (`bench.stats.round_ratios`)."""
    ours_rate, ceiling_rate = median_rate(ours), median_rate(ceiling)
    mine, theirs = pooled_latency(ours), pooled_latency(ceiling)
    ratios = round_ratios(ours, ceiling)
    ratio = statistics.median(ratios)
    return Row(
        benchmark=f"append · {writers} writers",
        measured=throughput(ours_rate, mine),
        baseline=throughput(ceiling_rate, theirs),
        ratio=ratio,
        target=f"ratio ≥ {TARGET_RATIO:g}",
        holds=ratio >= TARGET_RATIO,
        details={
            "kind": "append",
            "writers": writers,
            "rounds": len(ours),
            "events_per_round": ours[0].events,
            "pool_size": POOL_SIZE,
            "events_per_s": round(ours_rate, 1),
            "p50_ms": round(mine.median_ms, 4),
            "p99_ms": round(mine.p99_ms, 4),
            "baseline_events_per_s": round(ceiling_rate, 1),
            "baseline_p50_ms": round(theirs.median_ms, 4),
            "baseline_p99_ms": round(theirs.p99_ms, 4),
            "ratio_of_medians": round(ours_rate / ceiling_rate, 4),
            "client_cpu_us_per_event": round(_cpu_per_event(ours), 1),
            "baseline_client_cpu_us_per_event": round(_cpu_per_event(ceiling), 1),
            "round_ratios": [round(r, 3) for r in ratios],
        },
    )


def _cpu_per_event(rounds: list[RoundResult]) -> float:
    return 1e6 * sum(r.cpu_seconds for r in rounds) / sum(r.events for r in rounds)
