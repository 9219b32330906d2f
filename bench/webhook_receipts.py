"""What arrived at the webhook receiver (`bench/receiver.py`), and how late.

Shared by the notifier's runs and the baseline's: the receiver records each delivery's
arrival time and `irmposition`; each expected delivery's latency is its first arrival minus
the moment its event was committed (or, for the baseline, sent).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
import httpx

from bench.processes import PYTHON, Process, Supervisor, clean_env
from bench.stats import Summary, summarise
from shared.webhooks.subscriptions import create_subscription

SUBSCRIBERS = 10


@dataclass(frozen=True, slots=True)
class Deliveries:
    """Every expected delivery's latency, how many arrived, and the rate achieved.

    A delivery that had not arrived when the run stopped waiting counts with the time it had
    waited by then: a lower bound, so percentiles that reach into them are lower bounds too.
    """

    latencies: list[float]
    arrived: int
    achieved_rate: float
    notifier_cpu_s: float = 0.0

    @property
    def summary(self) -> Summary:
        """Percentiles of the latencies."""
        return summarise(self.latencies)

    @property
    def complete(self) -> bool:
        """Whether every delivery arrived."""
        return self.arrived == len(self.latencies)


class ReceiverClient:
    """The control endpoints of the receiver process."""

    def __init__(self, base_url: str, dead_port: int) -> None:
        self.base_url = base_url
        self.dead_port = dead_port
        self._client = httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30)

    @classmethod
    async def start(cls, supervisor: Supervisor) -> ReceiverClient:
        """Start `bench/receiver.py` on two free ports: the receiver's and the dead one's."""
        dead_ports: list[int] = []

        def args_for(port: int) -> list[str]:
            dead_ports.append(supervisor.free_port())
            return [PYTHON, "-m", "bench.receiver", str(port), str(dead_ports[-1])]

        _, base_url = await supervisor.start_http(
            "receiver", args_for, env=clean_env(), health="/healthz"
        )
        return cls(base_url, dead_ports[-1])

    def subscriber_url(self, subscriber: int) -> str:
        """Where the receiver takes subscriber number `subscriber`'s deliveries."""
        return f"{self.base_url}/s/{subscriber}"

    async def arrivals(self) -> list[tuple[int, int, float]]:
        """Everything received since the last call: (subscriber, position, monotonic time)."""
        response = await self._client.get("/arrivals")
        return [(int(s), int(p), float(at)) for s, p, at in response.json()]

    async def wait_for(self, position: int, *, timeout_s: float, notifier: Process) -> bool:
        """Until every subscriber has received `position`; False if time runs out."""
        give_up = time.monotonic() + timeout_s
        while time.monotonic() < give_up:
            notifier.check_alive()
            progress = (await self._client.get("/progress")).json()
            if all(progress.get(str(s), -1) >= position for s in range(SUBSCRIBERS)):
                return True
            await asyncio.sleep(0.05)
        return False

    async def close(self) -> None:
        """Close the control connection."""
        await self._client.aclose()


async def subscribe(pool: asyncpg.Pool, urls: Iterable[str]) -> None:
    """A subscription to every event at each of `urls`."""
    for url in urls:
        await create_subscription(
            pool, url=url, event_types=[], severities=[], description=None, created_by="bench"
        )


def collect(
    started: dict[int, float],
    arrivals: list[tuple[int, int, float]],
    rate: float,
    cpu_s: float = 0.0,
) -> Deliveries:
    """Each expected delivery's latency; one that never arrived counts as arriving now."""
    first: dict[tuple[int, int], float] = {}
    for subscriber, position, at in arrivals:
        if position in started and subscriber < SUBSCRIBERS:
            first.setdefault((subscriber, position), at)  # a retry is not a new arrival
    now = time.monotonic()
    latencies = [
        first.get((subscriber, position), now) - at
        for position, at in started.items()
        for subscriber in range(SUBSCRIBERS)
    ]
    return Deliveries(latencies, arrived=len(first), achieved_rate=rate, notifier_cpu_s=cpu_s)
