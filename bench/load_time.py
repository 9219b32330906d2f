"""Aggregate load time: IncidentRepository.get against eventsourcing's repository.get.

For each size, the same kind of incident is written three ways through our repository: with
no snapshot, with snapshots every 100 events up to its head, and with snapshots that stop 100
events short of the head (what a load sees when the newest snapshot lags one interval). The
very same stored events and snapshot versions are then written into eventsourcing's own tables
through its Application, and both sides load each incident in turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from eventsourcing.domain import DomainEventProtocol
from rich.console import Console

from bench.es_baseline import EsBaseline, open_baseline
from bench.report import Row, goal
from bench.server import bench_database
from bench.stats import Summary, paired, summarise
from bench.workload import Script, declare
from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.schema import SNAPSHOTS_TABLE
from shared.eventstore.store import EventStore

SNAPSHOT_INTERVAL = 100
NEVER = 10**12
BATCH = 10
"""Commands per save: a busy incident's commands arrive a few at a time."""

TARGET_MS = 3.0
TARGET_SIZE = 1_000


@dataclass(frozen=True, slots=True)
class Case:
    """One incident to load: its size, and how far the snapshotting repository wrote it."""

    size: int
    variant: str
    snapshot_until: int


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes and sample counts for one run."""

    sizes: tuple[int, ...]
    samples: int
    slow_samples: int
    """Samples for loads that replay 10,000 events, which take a while each."""


FULL = Plan(sizes=(10, 100, 1_000, 10_000), samples=200, slow_samples=30)
QUICK = Plan(sizes=(10, 100, 1_000), samples=25, slow_samples=10)


def cases(sizes: tuple[int, ...]) -> Iterator[Case]:
    """Each size without snapshots and, where a snapshot is due, with them."""
    for size in sizes:
        yield Case(size, "no snapshot", 0)
        if size >= SNAPSHOT_INTERVAL:
            yield Case(size, "snapshot at head", size)
        if size > SNAPSHOT_INTERVAL:
            yield Case(size, f"snapshot {SNAPSHOT_INTERVAL} behind", size - SNAPSHOT_INTERVAL)


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Write every case, then time both repositories on it."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url:
        pool = await asyncpg.create_pool(url, min_size=2, max_size=4)
        app = await asyncio.to_thread(open_baseline, url)
        try:
            store = EventStore(pool, build_mapper())
            snapshotting = IncidentRepository(store, snapshot_interval=SNAPSHOT_INTERVAL)
            plain = IncidentRepository(store, snapshot_interval=NEVER)
            rows = []
            for number, case in enumerate(cases(plan.sizes), start=1):
                console.log(f"load_time: {case.size:,} events, {case.variant}")
                incident_id = await write_ours(case, number, snapshotting, plain)
                snapshot_versions = await snapshot_versions_of(pool, incident_id)
                events = [r.event for r in await store.read_stream(incident_id)]
                await asyncio.to_thread(copy_to_baseline, app, events, snapshot_versions)
                await check_same_state(snapshotting, app, incident_id)
                row = await measure(case, plan, snapshotting, app, incident_id, snapshot_versions)
                rows.append(row)
            return rows
        finally:
            await asyncio.to_thread(app.close)
            await pool.close()


async def write_ours(
    case: Case, number: int, snapshotting: IncidentRepository, plain: IncidentRepository
) -> UUID:
    """Write the incident in saves of BATCH commands, snapshotting up to `snapshot_until`."""
    incident = declare(number)
    script = Script(incident, seed=case.size)
    while incident.version < case.size:
        upto = min((incident.version // BATCH + 1) * BATCH, case.size)
        script.run(upto - incident.version)
        repository = snapshotting if incident.version <= case.snapshot_until else plain
        await repository.save(incident)
        await repository.drain()
    return incident.id


async def snapshot_versions_of(pool: asyncpg.Pool, incident_id: UUID) -> list[int]:
    """The versions at which our repository took snapshots of the incident."""
    rows = await pool.fetch(
        f"SELECT originator_version FROM {SNAPSHOTS_TABLE} "  # noqa: S608 (a constant)
        "WHERE originator_id = $1 ORDER BY originator_version",
        incident_id,
    )
    return [int(r["originator_version"]) for r in rows]


def copy_to_baseline(
    app: EsBaseline, events: Sequence[DomainEventProtocol[UUID]], snapshot_versions: list[int]
) -> None:
    """Save the same events in the same batches, and snapshot at the same versions."""
    due = set(snapshot_versions)
    for start in range(0, len(events), BATCH):
        batch = events[start : start + BATCH]
        app.save(*batch)
        version = batch[-1].originator_version
        if version in due:
            app.take_snapshot(batch[-1].originator_id, version=version)


async def check_same_state(ours: IncidentRepository, app: EsBaseline, incident_id: UUID) -> None:
    """Both sides must load the very same incident, or the comparison means nothing."""
    mine = await ours.get(incident_id)
    theirs: Incident = app.repository.get(incident_id)
    if vars(mine) != vars(theirs):
        raise RuntimeError(f"eventsourcing loaded a different state for {incident_id}")


async def measure(
    case: Case,
    plan: Plan,
    ours: IncidentRepository,
    app: EsBaseline,
    incident_id: UUID,
    snapshot_versions: list[int],
) -> Row:
    """Time both loads and turn them into a row."""
    slow = case.size - max(snapshot_versions, default=0) >= 10_000
    samples = plan.slow_samples if slow else plan.samples
    ours_s, base_s = await paired(
        lambda: ours.get(incident_id),
        lambda: app.repository.get(incident_id),
        samples=samples,
        warmup=2 if slow else 5,
    )
    mine, theirs = summarise(ours_s), summarise(base_s)
    snapshot_at = max(snapshot_versions, default=0)
    target, holds = goal(
        f"≤ {TARGET_MS:g} ms (p95)",
        mine.p95_ms <= TARGET_MS,
        applies=case.size == TARGET_SIZE and snapshot_at > 0,
    )
    return Row(
        benchmark=f"load {case.size:,} events · {case.variant}",
        measured=_ms(mine),
        baseline=_ms(theirs),
        ratio=mine.median_ms / theirs.median_ms,
        target=target,
        holds=holds,
        details={
            "kind": "load_time",
            "events": case.size,
            "snapshot_version": snapshot_at,
            "events_replayed": case.size - snapshot_at,
            "samples": samples,
            "median_ms": round(mine.median_ms, 4),
            "p95_ms": round(mine.p95_ms, 4),
            "baseline_median_ms": round(theirs.median_ms, 4),
            "baseline_p95_ms": round(theirs.p95_ms, 4),
            "ratio_p95": round(mine.p95_ms / theirs.p95_ms, 4),
        },
    )


def _ms(summary: Summary) -> str:
    return f"{summary.median_ms:.2f} ms · p95 {summary.p95_ms:.2f}"
