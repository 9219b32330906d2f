"""Projection lag: from an append's commit to the commit of the read models that include it.

The projector runs as `irm projector`, in a process of its own; beside it, on the same log,
runs the baseline, `bench/bare_follower.py`: a follower that LISTENs, reads and records its
tracking position, without projecting anything. The benchmark's process appends at a steady
rate (`bench/writer.py`) and notes when each append's commit is acknowledged. At each rate
the two are measured one after the other, the other paused (SIGSTOP) meanwhile, so that on
a 2-core machine neither takes CPU from the other's measurement; after each, both catch up.

How the other end is seen: the benchmark's database gets a trigger on `irm_tracking` that
sends `pg_notify('bench_tracking', '<follower> <position>')` whenever a follower's position is
written. PostgreSQL delivers a notification only when the transaction that sent it commits,
and the projector moves its position in the same transaction as the read models, so the
arrival of that notification, timestamped by a listening connection in this process, marks
the read models' commit. An event's lag is the time from its append's acknowledgement to the
first notification of a position at or past it. Both ends are observed the same way (a
message from the server reaching this process), so the delivery delays on both sides largely
cancel: checked on the 2-core machine of docs/performance.md, a NOTIFY reached a listening
connection a median 0.02 ms after the committing client's acknowledgement (p99 2 ms, which is
scheduling on a busy machine). The trigger costs the same small amount in the projector's and
the baseline's transactions.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

import asyncpg
from rich.console import Console

from bench.append import POOL_SIZE
from bench.processes import IRM, PYTHON, Process, Supervisor, clean_env, service_env, supervised
from bench.report import Row, goal
from bench.server import bench_database
from bench.stats import Summary, summarise
from bench.writer import Commit, Pace, PacedWriter, WriterRun
from services.projector.projector import PROJECTOR_NAME
from shared.eventstore.mapper import build_mapper
from shared.eventstore.store import EventStore
from shared.readmodels.ddl import TRACKING

TRACKING_CHANNEL = "bench_tracking"
BARE_NAME = "bench_bare"
FOLLOWERS = (PROJECTOR_NAME, BARE_NAME)
BATCH_SIZE = 500
"""The projector's default batch size, for both."""
INCIDENTS = 50
TARGET_RATE = 1_000
TARGET_P99_MS = 10.0

_TRIGGER = f"""
CREATE FUNCTION bench_tracking_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A follower locks its row with an upsert that leaves the position as it was.
    IF TG_OP = 'UPDATE' AND OLD.notification_id = NEW.notification_id THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('{TRACKING_CHANNEL}', NEW.application_name || ' ' || NEW.notification_id);
    RETURN NULL;
END $$;
CREATE TRIGGER bench_tracking_notify AFTER INSERT OR UPDATE ON {TRACKING}
    FOR EACH ROW EXECUTE FUNCTION bench_tracking_notify();
"""


FULL = Pace(rates=(200, 1_000), duration_s=5.0, warmup_s=0.5)
QUICK = Pace(rates=(200, 1_000), duration_s=0.5, warmup_s=0.2)


class TrackingWatch:
    """When each follower's position commits, as the trigger's notifications arrive."""

    def __init__(self) -> None:
        self.seen: dict[str, list[tuple[int, float]]] = {name: [] for name in FOLLOWERS}
        self._changed = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    async def start(self, url: str) -> None:
        """Install the trigger and LISTEN."""
        self._conn = await asyncpg.connect(url)
        await self._conn.execute(_TRIGGER)
        await self._conn.add_listener(TRACKING_CHANNEL, self._notified)

    async def close(self) -> None:
        """Stop listening."""
        if self._conn is not None:
            await self._conn.close()

    def position(self, name: str) -> int:
        """The newest position the follower committed."""
        seen = self.seen[name]
        return seen[-1][0] if seen else -1

    async def wait_for(
        self,
        position: int,
        names: Sequence[str],
        *,
        timeout_s: float,
        followers: dict[str, Process],
    ) -> None:
        """Until the named followers have committed `position`; raise if one dies or time runs
        out."""
        give_up = time.monotonic() + timeout_s
        while any(self.position(name) < position for name in names):
            for process in followers.values():
                process.check_alive()
            if time.monotonic() > give_up:
                behind = {name: self.position(name) for name in names}
                raise RuntimeError(f"followers did not reach {position} in time: {behind}")
            self._changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=0.5)

    def lags(self, name: str, commits: list[Commit]) -> list[float]:
        """Each commit's lag: until the first tracked position at or past it, in seconds."""
        seen = self.seen[name]
        positions = [p for p, _ in seen]
        lags = []
        for commit in commits:
            index = bisect.bisect_left(positions, commit.position)
            lags.append(seen[index][1] - commit.at)
        return lags

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        at = time.monotonic()
        name, position = payload.rsplit(" ", 1)
        if name in self.seen:
            self.seen[name].append((int(position), at))
            self._changed.set()


@dataclass(frozen=True, slots=True)
class FollowerRun:
    """What the writer did while one follower was measured, and that follower's CPU time."""

    written: WriterRun
    cpu_s: float


async def run(server_url: str, *, quick: bool, console: Console) -> list[Row]:
    """Start both followers, then at each rate measure each one's lag while the other waits."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url, supervised() as supervisor:
        pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE)
        watch = TrackingWatch()
        try:
            await watch.start(url)
            writer = PacedWriter(EventStore(pool, build_mapper()), incidents=INCIDENTS)
            head = await writer.declare_all()
            console.log("projection_lag: starting irm projector and the bare follower")
            followers = await start_followers(supervisor, url)
            await watch.wait_for(head, FOLLOWERS, timeout_s=60, followers=followers)
            rows = []
            for index, rate in enumerate(plan.rates):
                console.log(f"projection_lag: {rate:,} events/s for {plan.duration_s:g} s each")
                order = FOLLOWERS if index % 2 == 0 else FOLLOWERS[::-1]
                runs = {
                    name: await measure_one(name, rate, plan, writer, watch, followers)
                    for name in order
                }
                rows.append(lag_row(rate, runs, watch))
            return rows
        finally:
            await watch.close()
            await pool.close()


async def measure_one(
    name: str,
    rate: int,
    plan: Pace,
    writer: PacedWriter,
    watch: TrackingWatch,
    followers: dict[str, Process],
) -> FollowerRun:
    """Hold the rate with only `name` following (the other paused); then let both catch up."""
    others = [p for n, p in followers.items() if n != name]
    for process in others:
        process.pause()
    try:
        for duration in (plan.warmup_s, plan.duration_s):
            cpu_before = followers[name].cpu_seconds()
            written = await writer.run(rate=rate, duration_s=duration)
            last = max(c.position for c in written.commits)
            await watch.wait_for(last, [name], timeout_s=30 + duration, followers=followers)
            cpu = followers[name].cpu_seconds() - cpu_before
    finally:
        for process in others:
            process.resume()
    await watch.wait_for(last, FOLLOWERS, timeout_s=60, followers=followers)
    return FollowerRun(written, cpu)


async def start_followers(supervisor: Supervisor, url: str) -> dict[str, Process]:
    """`irm projector` and the bare follower, each in its own process."""
    projector = await supervisor.start(
        "irm-projector",
        [IRM, "projector"],
        env=service_env(url, IRM_PROJECTOR_BATCH_SIZE=str(BATCH_SIZE)),
    )
    return {PROJECTOR_NAME: projector, BARE_NAME: await start_bare_follower(supervisor, url)}


async def start_bare_follower(supervisor: Supervisor, url: str) -> Process:
    """The baseline follower (`bench/bare_follower.py`) in its own process, tracking as
    BARE_NAME with the projector's batch size."""
    return await supervisor.start(
        "bare-follower",
        [PYTHON, "-m", "bench.bare_follower", BARE_NAME, str(BATCH_SIZE)],
        env=clean_env(BENCH_DATABASE_URL=url),
    )


def lag_row(rate: int, runs: dict[str, FollowerRun], watch: TrackingWatch) -> Row:
    """The projector's lag percentiles against the bare follower's."""
    mine, bare = runs[PROJECTOR_NAME], runs[BARE_NAME]
    ours = summarise(watch.lags(PROJECTOR_NAME, mine.written.commits))
    base = summarise(watch.lags(BARE_NAME, bare.written.commits))
    target, holds = goal(
        f"p99 ≤ {TARGET_P99_MS:g} ms", ours.p99_ms <= TARGET_P99_MS, applies=rate == TARGET_RATE
    )
    return Row(
        benchmark=f"projection lag · {rate:,} events/s",
        measured=_figure(ours, mine.written.per_second),
        baseline=_figure(base, bare.written.per_second),
        ratio=ours.p99_ms / base.p99_ms,
        target=target,
        holds=holds,
        details={
            "kind": "projection_lag",
            "rate": rate,
            "events": len(mine.written.commits),
            "achieved_rate": round(mine.written.per_second, 1),
            "late_starts": mine.written.late_starts,
            "p50_ms": round(ours.median_ms, 3),
            "p95_ms": round(ours.p95_ms, 3),
            "p99_ms": round(ours.p99_ms, 3),
            "max_ms": round(1e3 * max(watch.lags(PROJECTOR_NAME, mine.written.commits)), 3),
            "cpu_us_per_event": round(1e6 * mine.cpu_s / len(mine.written.commits), 1),
            "batches": _commits_in_run(watch, PROJECTOR_NAME, mine.written),
            "baseline_achieved_rate": round(bare.written.per_second, 1),
            "baseline_late_starts": bare.written.late_starts,
            "baseline_p50_ms": round(base.median_ms, 3),
            "baseline_p95_ms": round(base.p95_ms, 3),
            "baseline_p99_ms": round(base.p99_ms, 3),
            "baseline_cpu_us_per_event": round(1e6 * bare.cpu_s / len(bare.written.commits), 1),
            "baseline_batches": _commits_in_run(watch, BARE_NAME, bare.written),
        },
    )


def _commits_in_run(watch: TrackingWatch, name: str, written: WriterRun) -> int:
    """How many tracking commits the follower made for the run's events (its batches)."""
    first = min(c.position for c in written.commits)
    last = max(c.position for c in written.commits)
    positions = [p for p, _ in watch.seen[name]]
    start = bisect.bisect_left(positions, first)
    end = bisect.bisect_left(positions, last)
    return end - start + 1


def _figure(summary: Summary, achieved: float) -> str:
    return (
        f"p50 {summary.median_ms:.1f} · p95 {summary.p95_ms:.1f} · "
        f"p99 {summary.p99_ms:.1f} ms @ {achieved:,.0f}/s"
    )
