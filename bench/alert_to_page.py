"""Alert to page: from Alertmanager's notification accepted to the page at the on-call's webhook.

`irm serve` (API, projector and notifier in one process, as one machine runs it) on a fresh
database, with a catalogued service `checkout` whose escalation policy pages `oncall` at level 1;
`oncall`'s one contact method is a webhook on the receiver (`bench/page_receiver.py`, its own
process, on 127.0.0.1). The benchmark's process sends Alertmanager notifications (webhook
payload version 4) to `POST /v1/integrations/alertmanager` with the integration's key, open loop
at a steady rate of alert groups per second, each group a new `groupKey`: each declares an
incident (`Declared` + `AlertAttached`), which the notifier pages (`Paged`) and sends.

An alert's latency runs from the intake's 2xx answer reaching this process to the page's
arrival at the receiver (`time.monotonic()`, one clock for every process on the machine).

**Baseline**, measured on the same alerts in the same run: a webhook subscription to
`incident.alert_attached` on the same receiver, from the same 2xx to the arrival of the
subscription's delivery of the group's `AlertAttached`. Both ride the same commit; the page
takes the paging follower, the pager's decision and append (`Paged`), the follower again and
the page sender, the subscription the queueing follower and the webhook sender. Ratio: the
page's p99 over the subscription's. Target (issue 12): p99 ≤ 100 ms at 100 groups/s.

A run waits a bounded time for stragglers; a page still missing then counts with the time it
had waited (figures marked `≥`). Nothing here fails on a timing.

`python -m bench.alert_to_page [--quick]` runs it alone; `python -m bench --only alert_to_page`
within the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import asyncpg
import httpx
import orjson
from rich.console import Console

from bench.page_receiver import PAGES, PAGES_PATH
from bench.processes import (
    IRM,
    LOOPBACK,
    LOOPBACK_TARGETS,
    PYTHON,
    Process,
    Supervisor,
    clean_env,
    service_env,
    supervised,
)
from bench.report import Detail, Row, goal, print_rows
from bench.server import bench_database, server_url
from bench.stats import Summary, summarise
from bench.webhook_receipts import ReceiverClient
from shared.tokens import Scope, create_token
from shared.webhooks.subscriptions import create_subscription

TARGET_RATE = 100
TARGET_P99_MS = 100.0
SUBSCRIBER = 0
"""The receiver's subscriber number of the baseline's subscription."""
INTAKE = "/v1/integrations/alertmanager"
SPLIT = ("projector", "notifier")


@dataclass(frozen=True, slots=True)
class Plan:
    """The rates of alert groups, how long each is held, the warm-up, the wait for stragglers."""

    rates: tuple[int, ...]
    duration_s: float
    warmup_s: float
    drain_s: float


FULL = Plan(rates=(20, TARGET_RATE), duration_s=10.0, warmup_s=1.0, drain_s=15.0)
QUICK = Plan(rates=(20, TARGET_RATE), duration_s=1.5, warmup_s=0.3, drain_s=2.0)


@dataclass
class Sent:
    """What the intake accepted: per incident number, when its 2xx arrived and the position
    of its `AlertAttached`; and what it refused."""

    accepted: dict[int, tuple[float, int]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    intake_s: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    """`irm serve`'s CPU from the first alert sent to the last page in (or the wait's end)."""


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Each accepted alert's page latency and subscription latency (missing: the time waited)."""

    pages: list[float]
    deliveries: list[float]
    pages_arrived: int
    deliveries_arrived: int

    @property
    def complete(self) -> bool:
        """Whether every page arrived."""
        return self.pages_arrived == len(self.pages)


async def run(server_url: str, *, quick: bool, console: Console, split: bool = False) -> list[Row]:
    """At each rate, on one `irm serve` (or, `split`, `irm api`, `irm projector` and `irm
    notifier`): a warm-up, then the measured alerts."""
    plan = QUICK if quick else FULL
    async with bench_database(server_url) as url, supervised() as supervisor:
        receiver = await start_receiver(supervisor)
        try:
            admin = await prepare_database(url, receiver)
            irm, base_url = await start_irm(supervisor, url, split=split)
            key = await catalogue(base_url, admin, receiver)
            headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
            rows = []
            async with httpx.AsyncClient(
                base_url=base_url, headers=headers, limits=limits, trust_env=False, timeout=30
            ) as client:
                groups = itertools.count()
                for rate in plan.rates:
                    console.log(f"alert_to_page: {rate} alert groups/s, warm-up")
                    warm = await send(client, groups, rate=rate, duration_s=plan.warmup_s)
                    await wait(receiver, warm, drain_s=plan.drain_s)
                    console.log(f"alert_to_page: {rate} alert groups/s for {plan.duration_s:g} s")
                    cpu_before = sum(p.cpu_seconds() for p in irm)
                    sent = await send(client, groups, rate=rate, duration_s=plan.duration_s)
                    arrivals = await wait(receiver, sent, drain_s=plan.drain_s)
                    sent.server_cpu_s = sum(p.cpu_seconds() for p in irm) - cpu_before
                    rows.append(row(rate, sent, arrivals, split=split))
        finally:
            await receiver.close()
    return rows


async def start_irm(supervisor: Supervisor, url: str, *, split: bool) -> tuple[list[Process], str]:
    """`irm serve`, or the API, the projector and the notifier each in a process of its own;
    the processes and the API's URL."""
    env = service_env(url, IRM_WEBHOOK_ALLOWED_TARGETS=LOOPBACK_TARGETS)
    command = "api" if split else "serve"
    api, base_url = await supervisor.start_http(
        f"irm-{command}",
        lambda port: [IRM, command, "--host", LOOPBACK, "--port", str(port)],
        env=env,
        health="/readyz",
    )
    if not split:
        return [api], base_url
    followers = [await supervisor.start(f"irm-{name}", [IRM, name], env=env) for name in SPLIT]
    return [api, *followers], base_url


async def start_receiver(supervisor: Supervisor) -> ReceiverClient:
    """`bench/page_receiver.py` on a free port (its dead port is not used here)."""
    dead = supervisor.free_port()
    _, base_url = await supervisor.start_http(
        "page-receiver",
        lambda port: [PYTHON, "-m", "bench.page_receiver", str(port), str(dead)],
        env=clean_env(),
        health="/healthz",
    )
    return ReceiverClient(base_url, dead)


async def prepare_database(url: str, receiver: ReceiverClient) -> str:
    """An admin token, and the baseline's subscription to every `AlertAttached`; the token."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await create_subscription(
            pool,
            url=receiver.subscriber_url(SUBSCRIBER),
            event_types=["incident.alert_attached"],
            severities=[],
            description="alert_to_page baseline",
            created_by="bench",
        )
        return await create_token(pool, principal="bench", scope=Scope.ADMIN)
    finally:
        await pool.close()


async def catalogue(base_url: str, admin: str, receiver: ReceiverClient) -> str:
    """Through the API: `oncall` reachable at the receiver, a policy paging them at level 1
    (for an hour: nobody escalates during the run), the `checkout` service, and an
    Alertmanager integration. Returns the integration's key."""
    headers = {"authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, trust_env=False, timeout=30
    ) as api:

        async def created(path: str, body: dict[str, object]) -> dict[str, str]:
            answer = await api.post(path, json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text[:300]}")
            found: dict[str, str] = answer.json()
            return found

        hook = {"type": "webhook", "url": receiver.base_url + PAGES_PATH}
        await created("/v1/people", {"handle": "oncall", "contact_methods": [hook]})
        level = {"timeout_seconds": 3600, "targets": [{"type": "person", "handle": "oncall"}]}
        policy = await created(
            "/v1/escalation-policies", {"name": "checkout", "repeat": 0, "levels": [level]}
        )
        await created("/v1/services", {"name": "checkout", "escalation_policy": policy["id"]})
        integration = await created("/v1/integrations", {"type": "alertmanager", "name": "bench"})
        return integration["key"]


def notification(group: int) -> bytes:
    """Alertmanager's webhook payload (version 4) for alert group `group`: one firing alert
    of the checkout service, its own `groupKey`."""
    labels = {
        "alertname": "CheckoutHighErrorRate",
        "service": "checkout",
        "severity": "critical",
        "instance": f"checkout-{group}:8080",
    }
    annotations = {"summary": "Checkout error rate above 5%"}
    return orjson.dumps(
        {
            "version": "4",
            "groupKey": f'{{}}/{{service="checkout"}}:{{instance="checkout-{group}:8080"}}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "irm",
            "groupLabels": {"instance": labels["instance"]},
            "commonLabels": labels,
            "commonAnnotations": annotations,
            "externalURL": "http://alertmanager.example.com:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": "2026-12-01T21:58:30.512Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example.com:9090/graph",
                    "fingerprint": f"{group:016x}",
                }
            ],
        }
    )


async def send(
    client: httpx.AsyncClient, groups: Iterator[int], *, rate: int, duration_s: float
) -> Sent:
    """Open loop: a notification of a new group every 1/`rate` s, whether or not the earlier
    ones were answered; each 2xx's arrival noted."""
    sent = Sent()
    count = round(rate * duration_s)
    bodies = [notification(next(groups)) for _ in range(count)]

    async def post(body: bytes) -> None:
        started = time.monotonic()
        try:
            answer = await client.post(INTAKE, content=body)
        except httpx.HTTPError as error:
            sent.refused.append(f"{type(error).__name__}: {error}")
            return
        at = time.monotonic()
        if answer.status_code != 200 or answer.json()["outcome"] != "declared":
            sent.refused.append(f"{answer.status_code} {answer.text[:200]}")
            return
        intake = answer.json()
        number = int(intake["reference"].removeprefix("INC-"))
        sent.accepted[number] = (at, int(intake["position"]))
        sent.intake_s.append(at - started)

    start = time.monotonic()
    tasks = []
    for index, body in enumerate(bodies):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(body)))
    await asyncio.gather(*tasks)
    sent.seconds = time.monotonic() - start
    return sent


async def wait(receiver: ReceiverClient, sent: Sent, *, drain_s: float) -> Arrivals:
    """Collect arrivals until every page and delivery of `sent` is in, or `drain_s` passed."""
    pages: dict[int, float] = {}
    deliveries: dict[int, float] = {}
    positions = {position for _, position in sent.accepted.values()}
    give_up = time.monotonic() + drain_s
    while True:
        for subscriber, position, at in await receiver.arrivals():
            if subscriber == PAGES and position in sent.accepted:
                pages.setdefault(position, at)  # a page sent again is not a new arrival
            elif subscriber == SUBSCRIBER and position in positions:
                deliveries.setdefault(position, at)
        done = len(pages) == len(sent.accepted) and len(deliveries) == len(positions)
        if done or time.monotonic() > give_up:
            break
        await asyncio.sleep(0.05)
    now = time.monotonic()
    return Arrivals(
        pages=[pages.get(n, now) - at for n, (at, _) in sent.accepted.items()],
        deliveries=[deliveries.get(p, now) - at for at, p in sent.accepted.values()],
        pages_arrived=len(pages),
        deliveries_arrived=len(deliveries),
    )


def row(rate: int, sent: Sent, arrivals: Arrivals, *, split: bool) -> Row:
    """One rate: the pages against the subscription's deliveries of the same alerts."""
    pages, deliveries = summarise(arrivals.pages), summarise(arrivals.deliveries)
    target, holds = goal(
        f"p99 ≤ {TARGET_P99_MS:g} ms",
        arrivals.complete and not sent.refused and pages.p99_ms <= TARGET_P99_MS,
        applies=rate == TARGET_RATE,
    )
    intake = summarise(sent.intake_s) if sent.intake_s else None
    details: dict[str, Detail | list[float]] = {
        "kind": "alert_to_page",
        "processes": "irm api, irm projector, irm notifier" if split else "irm serve",
        "rate": rate,
        "achieved_rate": round(len(sent.accepted) / max(sent.seconds, 1e-9), 1),
        "accepted": len(sent.accepted),
        "refused": len(sent.refused),
        "first_refusal": sent.refused[0] if sent.refused else None,
        "pages_arrived": arrivals.pages_arrived,
        "deliveries_arrived": arrivals.deliveries_arrived,
        "p50_ms": round(pages.median_ms, 3),
        "p95_ms": round(pages.p95_ms, 3),
        "p99_ms": round(pages.p99_ms, 3),
        "baseline": "a webhook subscription's delivery of the same alerts' AlertAttached",
        "baseline_p50_ms": round(deliveries.median_ms, 3),
        "baseline_p99_ms": round(deliveries.p99_ms, 3),
        "server_cpu_ms_per_alert": round(1e3 * sent.server_cpu_s / max(1, len(sent.accepted)), 2),
        "intake_p50_ms": None if intake is None else round(intake.median_ms, 3),
        "intake_p99_ms": None if intake is None else round(intake.p99_ms, 3),
    }
    return Row(
        benchmark=f"alert_to_page{' · 3 processes' if split else ''} · {rate} groups/s",
        measured=_figure(pages, arrivals.pages_arrived, len(arrivals.pages))
        + f" · CPU {1e3 * sent.server_cpu_s / max(1, len(sent.accepted)):.1f} ms",
        baseline=_figure(deliveries, arrivals.deliveries_arrived, len(arrivals.deliveries)),
        ratio=pages.p99_ms / deliveries.p99_ms,
        target=target,
        holds=holds,
        details=details,
    )


def _figure(summary: Summary, arrived: int, expected: int) -> str:
    figure = f"p50 {summary.median_ms:.1f} · p99 {summary.p99_ms:.1f} ms"
    return figure if arrived == expected else f"≥ {figure}, {arrived:,}/{expected:,} arrived"


def main(argv: list[str] | None = None) -> None:
    """Run alone, on a private embedded PostgreSQL (or IRM_DATABASE_URL), and print the rows."""
    parser = argparse.ArgumentParser(prog="python -m bench.alert_to_page", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1.5 s per rate instead of 10 s")
    parser.add_argument(
        "--split",
        action="store_true",
        help="irm api, irm projector and irm notifier as three processes instead of irm serve",
    )
    args = parser.parse_args(argv)
    console = Console(stderr=True)

    async def measured() -> list[Row]:
        async with server_url() as url:
            return await run(url, quick=args.quick, console=console, split=args.split)

    rows = asyncio.run(measured())
    print_rows(Console(width=200), rows, title="alert to page; ratio = page p99 / webhook p99")


if __name__ == "__main__":
    main()
