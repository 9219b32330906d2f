"""`python -m bench.webhook_clients`: the notifier's HTTP client and event loop, side by side.

Issue #15 asks for the HTTP client to be chosen by measurement: httpx with a pool per origin
against aiohttp (a `ClientSession` per origin whose resolver applies the URL guard), and uvloop
only if a same-run comparison shows it pays. Each round runs every variant of the notifier
(`bench.webhook_latency.notifier_run`, fresh database and process each), in a rotated order,
and the bare transport (`webhook_baseline.post_loop`) in the same round; the figures are CPU
per delivery (the primary one: the notifier processes' CPU over the run, divided by the
deliveries that arrived, far less sensitive to a loaded machine than latency) and p99, each
also as a ratio to the round's bare transport. `--scale` compares one notifier process with
two at 500 events/s instead. The uvloop variants run when uvloop is installed (it is not a
dependency of the project).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.processes import supervised
from bench.server import server_url
from bench.webhook_baseline import post_loop
from bench.webhook_latency import (
    FULL,
    SCALE_RATE,
    TARGET_RATE,
    WEBHOOK_TIMEOUT_S,
    Variant,
    notifier_run,
)
from bench.webhook_receipts import Deliveries, ReceiverClient

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None  # not a dependency: pip install
CLIENTS = (
    Variant("httpx"),
    Variant("aiohttp"),
    *((Variant("httpx", uvloop=True), Variant("aiohttp", uvloop=True)) if HAS_UVLOOP else ()),
)


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_clients", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=int, default=None, help="events/s (10 deliveries each)")
    parser.add_argument(
        "--clients", default="", help="comma-separated labels to run (default: all four)"
    )
    parser.add_argument(
        "--scale", default="", help="an HTTP client: one notifier process against two instead"
    )
    parser.add_argument(
        "--dead", action="store_true", help="an eleventh subscriber that never answers, too"
    )
    parser.add_argument("--json", type=Path, default=Path("bench/results/webhook_clients.json"))
    return parser.parse_args()


def variants(args: argparse.Namespace) -> tuple[list[Variant], int]:
    """What to compare, and at which rate."""
    if args.scale:
        one = Variant(args.scale)
        return [one, Variant(args.scale, processes=2)], args.rate or SCALE_RATE
    chosen = [v for v in CLIENTS if not args.clients or v.label in args.clients.split(",")]
    return chosen, args.rate or TARGET_RATE


async def compare(args: argparse.Namespace, console: Console) -> list[dict[str, object]]:
    """Every round: each variant, then the bare transport; one record per run."""
    runs, rate = variants(args)
    records: list[dict[str, object]] = []
    async with server_url() as url, supervised() as supervisor:
        receiver = await ReceiverClient.start(supervisor)
        try:
            for round_ in range(args.rounds):
                order = runs[round_ % len(runs) :] + runs[: round_ % len(runs)]
                measured: list[tuple[Variant, Deliveries]] = []
                body = b""
                for variant in order:
                    console.log(f"round {round_ + 1}: {variant.label} at {rate} events/s")
                    deliveries, body = await notifier_run(
                        url,
                        FULL,
                        rate,
                        receiver,
                        dead_port=receiver.dead_port if args.dead else None,
                        variant=variant,
                    )
                    measured.append((variant, deliveries))
                console.log(f"round {round_ + 1}: bare transport at {rate} events/s")
                bare = await post_loop(
                    receiver,
                    body,
                    rate=rate,
                    duration_s=FULL.duration_s,
                    warmup_s=FULL.warmup_s,
                    drain_s=FULL.drain_s,
                    timeout_s=WEBHOOK_TIMEOUT_S,
                )
                records.append(record(round_ + 1, "bare transport", rate, bare, bare))
                records += [record(round_ + 1, v.label, rate, d, bare) for v, d in measured]
        finally:
            await receiver.close()
    return records


def record(
    round_: int, label: str, rate: int, deliveries: Deliveries, bare: Deliveries
) -> dict[str, object]:
    """One run's figures, with its ratios to the round's bare transport."""
    cpu_ms = 1000 * deliveries.notifier_cpu_s / max(1, deliveries.arrived)
    bare_cpu_ms = 1000 * bare.notifier_cpu_s / max(1, bare.arrived)
    p99 = deliveries.summary.p99_ms
    return {
        "round": round_,
        "variant": label,
        "rate": rate,
        "arrived": deliveries.arrived,
        "expected": len(deliveries.latencies),
        "cpu_ms_per_delivery": round(cpu_ms, 3),
        "cpu_ratio": round(cpu_ms / bare_cpu_ms, 2),
        "p50_ms": round(deliveries.summary.median_ms, 1),
        "p99_ms": round(p99, 1),
        "p99_ratio": round(p99 / bare.summary.p99_ms, 2),
    }


def print_records(console: Console, records: list[dict[str, object]]) -> None:
    """One line per run."""
    table = Table(title="webhook notifier variants; ratios to the same round's bare transport")
    for column in ("round", "variant", "CPU/delivery", "÷ bare", "p50", "p99", "÷ bare", "arrived"):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r["round"]),
            str(r["variant"]),
            f"{r['cpu_ms_per_delivery']:.3f} ms",
            f"{r['cpu_ratio']:.2f}",
            f"{r['p50_ms']:,.1f} ms",
            f"{r['p99_ms']:,.1f} ms",
            f"{r['p99_ratio']:.2f}",
            f"{r['arrived']:,}/{r['expected']:,}",
        )
    console.print(table)


def main() -> None:
    """Run, print and save."""
    args = parse_args()
    records = asyncio.run(compare(args, Console(stderr=True)))
    print_records(Console(width=160), records)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
