"""`python -m bench [--quick] [--json PATH] [--only NAME]`: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from rich.console import Console

from bench import (
    alert_to_page,
    append,
    http_commands,
    load_time,
    memory,
    projection_lag,
    rebuild_rate,
    webhook_latency,
)
from bench.report import Row, print_rows, write_json
from bench.server import server_url

DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"
WIDTH_WHEN_PIPED = 240
"""Rich would wrap the table at 80 columns when writing to a file or a pipe."""

Benchmark = Callable[..., Awaitable[list[Row]]]
BENCHMARKS: tuple[tuple[str, Benchmark], ...] = (
    ("load_time", load_time.run),
    ("append", append.run),
    ("http_commands", http_commands.run),
    ("memory", memory.run),
    ("projection_lag", projection_lag.run),
    ("rebuild", rebuild_rate.run),
    ("webhooks", webhook_latency.run),
    ("alert_to_page", alert_to_page.run),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: fewer sizes and iterations"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write rows (default {DEFAULT_JSON})",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[name for name, _ in BENCHMARKS],
        help="run only this benchmark (repeatable)",
    )
    return parser.parse_args(argv)


async def run_all(
    *, quick: bool, console: Console, only: list[str] | None = None
) -> tuple[list[Row], dict[str, float], str]:
    """Run the benchmarks on one server; returns the rows, each one's duration, and the
    server's version."""
    rows: list[Row] = []
    durations: dict[str, float] = {}
    async with server_url() as url:
        version = await server_version(url)
        for name, benchmark in BENCHMARKS:
            if only and name not in only:
                continue
            start = time.perf_counter()
            rows += await benchmark(url, quick=quick, console=console)
            durations[name] = time.perf_counter() - start
    return rows, durations, version


async def server_version(url: str) -> str:
    """PostgreSQL's version, for the record."""
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> None:
    """Run, print and save."""
    args = parse_args(argv)
    log = Console(stderr=True)
    started = time.perf_counter()
    try:
        rows, durations, version = asyncio.run(
            run_all(quick=args.quick, console=log, only=args.only)
        )
    except KeyboardInterrupt:
        log.print("interrupted; what it had started is stopped and its databases dropped")
        raise SystemExit(130) from None
    durations["total"] = time.perf_counter() - started
    mode = "quick" if args.quick else "full"
    out = Console()
    if not out.is_terminal:
        out = Console(width=WIDTH_WHEN_PIPED)
    print_rows(out, rows, title=f"irm benchmarks ({mode}); ratio = ours / baseline")
    took = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in durations.items())
    out.print(f"took: {took}")
    write_json(args.json, rows, quick=args.quick, durations=durations, postgres=version)
    out.print(f"rows written to {args.json}")


if __name__ == "__main__":
    main()
