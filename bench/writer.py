"""A steady stream of appends, open loop, each timestamped when its commit is acknowledged.

The load of the follower benchmarks (projection lag, webhook latency). Appends start on a fixed
schedule (`rate` per second), whether or not earlier ones have finished, as commands arriving
from many clients would; each appends one event, made by the aggregate's own commands
(`bench/workload.py`), to one of a set of incidents, round-robin. An incident's appends never
overlap (one lock per incident), so versions stay in order and none conflicts.

Timestamps are `time.monotonic()`: CLOCK_MONOTONIC, one clock for every process on the
machine, so a receiver in another process can compare its own readings with them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.workload import Events, Script, declare
from shared.domain.incident import Incident
from shared.eventstore.store import EventStore


@dataclass(frozen=True, slots=True)
class Commit:
    """An append's last position and when its commit was acknowledged (monotonic seconds)."""

    position: int
    at: float


@dataclass(frozen=True, slots=True)
class WriterRun:
    """What a run appended, and the rate it achieved."""

    commits: list[Commit]
    seconds: float
    late_starts: int
    """Appends started more than 5 ms behind their schedule (the writer could not keep up)."""

    @property
    def per_second(self) -> float:
        """Appends committed per second over the run."""
        return len(self.commits) / self.seconds


@dataclass(frozen=True, slots=True)
class Pace:
    """How a follower benchmark drives the writer: the rates, how long each is held, and
    the warm-up run before each measured one."""

    rates: tuple[int, ...]
    duration_s: float
    warmup_s: float


class PacedWriter:
    """Appends to its incidents at a fixed rate."""

    def __init__(self, store: EventStore, *, incidents: int, first_number: int = 1) -> None:
        self._store = store
        self._incidents = [declare(first_number + i) for i in range(incidents)]
        self._scripts = [Script(incident, seed=i) for i, incident in enumerate(self._incidents)]
        self._locks = [asyncio.Lock() for _ in self._incidents]

    @property
    def incidents(self) -> list[Incident]:
        """The incidents written to."""
        return self._incidents

    async def declare_all(self) -> int:
        """Store every incident's declaration; returns the last position."""
        position = 0
        for incident in self._incidents:
            position = await self._store.append(incident.collect_events())
        return position

    async def run(self, *, rate: float, duration_s: float) -> WriterRun:
        """Append `rate * duration_s` events on schedule; wait for all of them to commit.

        The events are made before the clock starts, so the writer's own work while it runs
        is only the append (serialising and storing the event).
        """
        count = round(rate * duration_s)
        planned = [self._next_event(index % len(self._incidents)) for index in range(count)]
        commits: list[Commit] = []
        tasks: set[asyncio.Task[None]] = set()
        late = 0
        start = time.monotonic()
        for index, (incident, events) in enumerate(planned):
            due = start + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                late += 1
            # asyncio.Lock serves waiters first come, first served: versions stay in order.
            task = asyncio.create_task(self._append(incident, events, commits))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        seconds = max(c.at for c in commits) - start if commits else duration_s
        return WriterRun(commits=commits, seconds=seconds, late_starts=late)

    def _next_event(self, index: int) -> tuple[int, Events]:
        self._scripts[index].run(1)
        return index, self._incidents[index].collect_events()

    async def _append(self, index: int, events: Events, commits: list[Commit]) -> None:
        async with self._locks[index]:
            position = await self._store.append(events)
            commits.append(Commit(position, time.monotonic()))
