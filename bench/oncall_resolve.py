"""`python -m bench.oncall_resolve [--quick] [--seed N]`: "who is on call", resolved in process.

A schedule of 3 layers (daily, weekly and a 12-hour layer restricted to weekday office hours)
over 50 participants, with 200 overrides of 1 to 48 hours scattered over the year and 3
versions (two edits), is asked `ScheduleHistory.on_call(t)` at 10,000 random instants in that
year. Baselines in the same run, at the same instants, alternating with ours in blocks: (a) a
one-layer daily schedule with no override and one version, (b) a dict lookup of the instant's
day, the least any answer could cost. Each resolver is built (and its overrides compiled)
before timing; the first call of each is timed apart as "cold". Prints p50/p99 per side, the
ratios of ours to each baseline, and whether p99 ≤ 1 ms (issue 12's target) holds. Nothing
here touches the database: the API's on-call read adds one indexed read of the stream.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from uuid import UUID

from bench.stats import percentile
from shared.oncall.history import ScheduleHistory
from shared.oncall.schedule import Layer, Override, Restriction, Schedule

YEAR_START = datetime(2027, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
TARGET_P99_MS = 1.0


def big_schedule(rng: random.Random) -> ScheduleHistory:
    """3 layers, 50 participants, 200 overrides, 3 versions."""
    people = [f"engineer-{n:02d}" for n in range(50)]
    start = YEAR_START - timedelta(days=30)
    layers = (
        Layer(start, timedelta(days=1), clock(9), tuple(people[:20])),
        Layer(start, timedelta(weeks=1), clock(10), tuple(people[20:35])),
        Layer(
            start,
            timedelta(hours=12),
            clock(8),
            tuple(people[35:]),
            (Restriction(frozenset(range(5)), clock(9), clock(17)),),
        ),
    )
    overrides = []
    for _ in range(200):
        begin = YEAR_START + timedelta(minutes=rng.randrange(int(YEAR.total_seconds() // 60)))
        overrides.append(
            Override(
                UUID(int=rng.getrandbits(128)),
                rng.choice(people),
                begin,
                begin + timedelta(hours=rng.randint(1, 48)),
            )
        )
    first = Schedule("sre-primary", "Europe/Berlin", layers[:2])
    edited = Schedule("sre-primary", "Europe/Berlin", layers)
    final = Schedule("sre-primary", "Europe/Berlin", layers, tuple(overrides))
    return ScheduleHistory(
        [
            (start - timedelta(days=1), first),
            (YEAR_START + timedelta(days=100), edited),
            (YEAR_START + timedelta(days=101), final),
        ]
    )


def small_schedule() -> ScheduleHistory:
    """Baseline (a): one daily layer of two people, no override, one version."""
    layer = Layer(YEAR_START - timedelta(days=30), timedelta(days=1), clock(9), ("a", "b"))
    return ScheduleHistory(
        [(YEAR_START - timedelta(days=31), Schedule("sre", "Europe/Berlin", (layer,)))]
    )


def time_calls(fn: Callable[[datetime], object], instants: list[datetime]) -> list[float]:
    """Each call's time in milliseconds."""
    samples = []
    clock_ns = time.perf_counter_ns
    for t in instants:
        began = clock_ns()
        fn(t)
        samples.append((clock_ns() - began) / 1e6)
    return samples


def main(argv: list[str] | None = None) -> None:
    """Run and print."""
    parser = argparse.ArgumentParser(prog="python -m bench.oncall_resolve", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 instants instead of 10,000")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    count = 1_000 if args.quick else 10_000
    instants = [YEAR_START + YEAR * rng.random() for _ in range(count)]

    built = time.perf_counter()
    ours = big_schedule(rng)
    cold_started = time.perf_counter()
    ours.on_call(instants[0])  # builds the version's resolver: compiles its overrides
    cold_ms = (time.perf_counter() - cold_started) * 1e3
    for t in instants[:50]:  # every version's resolver built before timing
        ours.on_call(t)
    setup_ms = (time.perf_counter() - built) * 1e3
    small = small_schedule()
    small.on_call(instants[0])
    by_day = {(YEAR_START + timedelta(days=d)).date(): f"p{d % 50}" for d in range(-1, 367)}

    def lookup(t: datetime) -> object:
        return by_day[t.date()]

    samples: dict[str, list[float]] = {"ours": [], "one layer": [], "dict lookup": []}
    sides = [("ours", ours.on_call), ("one layer", small.on_call), ("dict lookup", lookup)]
    gc.disable()
    try:
        block = 500
        for offset in range(0, count, block):
            chunk = instants[offset : offset + block]
            order = sides if (offset // block) % 2 == 0 else sides[::-1]
            for name, fn in order:
                samples[name] += time_calls(fn, chunk)
    finally:
        gc.enable()

    print(f"who is on call: {count:,} random instants in 2027, seed {args.seed}")
    print(
        f"schedule: 3 layers, 50 participants, 200 overrides, 3 versions; "
        f"first call (builds the resolver) {cold_ms:.2f} ms, setup {setup_ms:.1f} ms"
    )
    print(f"{'side':<12} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    for name, values in samples.items():
        print(
            f"{name:<12} {statistics.median(values):>9.4f} {percentile(values, 99):>9.4f} "
            f"{max(values):>9.4f}"
        )
    ours_p50, ours_p99 = statistics.median(samples["ours"]), percentile(samples["ours"], 99)
    for name in ("one layer", "dict lookup"):
        p50 = statistics.median(samples[name])
        p99 = percentile(samples[name], 99)
        print(f"ratio ours / {name}: p50 {ours_p50 / p50:.1f}x, p99 {ours_p99 / p99:.1f}x")
    holds = "yes" if ours_p99 <= TARGET_P99_MS else "no"
    print(f"target p99 <= {TARGET_P99_MS} ms: {ours_p99:.4f} ms, holds: {holds}")


if __name__ == "__main__":
    main()
