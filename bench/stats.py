"""Percentiles and paired timing: ours and the baseline alternate, so noise hits both alike."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Summary:
    """Latency samples in milliseconds, summarised."""

    samples: int
    median_ms: float
    p95_ms: float
    p99_ms: float


class Round(Protocol):
    """A timed round of a throughput benchmark: its rate and each operation's latency."""

    @property
    def per_second(self) -> float:
        """Operations per second over the round."""
        ...

    @property
    def latencies(self) -> list[float]:
        """Each operation's latency, in seconds."""
        ...


def median_rate(rounds: Sequence[Round]) -> float:
    """The median of the rounds' rates."""
    return statistics.median(r.per_second for r in rounds)


def pooled_latency(rounds: Sequence[Round]) -> Summary:
    """Percentiles over every operation of every round."""
    return summarise([s for r in rounds for s in r.latencies])


def round_ratios(ours: Sequence[Round], baseline: Sequence[Round]) -> list[float]:
    """Each of our rounds' rate over the baseline's round run next to it.

    Their median is the benchmark's ratio, so a slow spell on the machine moves both sides of
    a ratio, not just one of them.
    """
    return [o.per_second / b.per_second for o, b in zip(ours, baseline, strict=True)]


def percentile(values: Sequence[float], pct: int) -> float:
    """The pct-th percentile (1..99), interpolated between samples."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def summarise(seconds: Sequence[float]) -> Summary:
    """Median, p95 and p99 of samples given in seconds, in milliseconds."""
    ms = [s * 1_000 for s in seconds]
    return Summary(
        samples=len(ms),
        median_ms=statistics.median(ms),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
    )


async def paired(
    ours: Callable[[], Awaitable[object]],
    baseline: Callable[[], object],
    *,
    samples: int,
    warmup: int,
) -> tuple[list[float], list[float]]:
    """Time `ours` (async) and `baseline` (sync) `samples` times each, alternating who goes first.

    Returns the durations in seconds, ours first.
    """
    for _ in range(warmup):
        await ours()
        baseline()
    gc.collect()
    ours_s: list[float] = []
    base_s: list[float] = []
    for i in range(samples):
        if i % 2:
            base_s.append(_time_sync(baseline))
            ours_s.append(await _time_async(ours))
        else:
            ours_s.append(await _time_async(ours))
            base_s.append(_time_sync(baseline))
    return ours_s, base_s


async def _time_async(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


def _time_sync(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
