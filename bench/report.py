"""One row per figure: what was measured, against which baseline, and whether a target holds."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.table import Table

from bench.stats import Summary

Detail = float | int | str | None
LOWER_IS_BETTER = "lower is better"


@dataclass(frozen=True, slots=True)
class Row:
    """One benchmark figure; `details` keeps the raw numbers for the JSON file."""

    benchmark: str
    measured: str
    baseline: str
    ratio: float
    target: str
    holds: bool | None
    details: dict[str, Detail | list[float]] = field(default_factory=dict)


def goal(target: str, holds: bool, *, applies: bool = True) -> tuple[str, bool | None]:
    """A row's `target` and `holds`: the target where it applies to the row, and otherwise
    only "lower is better", judged by no one."""
    return (target, holds) if applies else (LOWER_IS_BETTER, None)


def throughput(rate: float, latency: Summary) -> str:
    """A rate per second with its p50 and p99 latency, as a row's figure."""
    return f"{rate:,.0f}/s · p50 {latency.median_ms:.1f} · p99 {latency.p99_ms:.1f} ms"


def render(rows: list[Row], *, title: str) -> Table:
    """The rows as a rich table."""
    table = Table(title=title, title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("benchmark", "left"),
        ("measured", "right"),
        ("baseline", "right"),
        ("ratio", "right"),
        ("target", "left"),
        ("holds?", "center"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)
    for row in rows:
        table.add_row(
            row.benchmark,
            row.measured,
            row.baseline,
            f"{row.ratio:.2f}",
            row.target,
            _holds(row.holds),
        )
    return table


def write_json(
    path: Path, rows: list[Row], *, quick: bool, durations: dict[str, float], postgres: str
) -> None:
    """Write the rows, with when and where they were measured, to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "memory_gib": _memory_gib(),
            "python": platform.python_version(),
            "postgresql": postgres,
            "platform": platform.platform(),
        },
        "durations_s": {k: round(v, 1) for k, v in durations.items()},
        "rows": [asdict(row) | {"ratio": round(row.ratio, 4)} for row in rows],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def print_rows(console: Console, rows: list[Row], *, title: str) -> None:
    """Print the table to the console."""
    console.print(render(rows, title=title))


def _holds(holds: bool | None) -> str:
    if holds is None:
        return "—"
    return "[green]yes[/green]" if holds else "[red]no[/red]"


def _cpu_model() -> str | None:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), None)


def _memory_gib() -> float | None:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    total_kib = next((int(ln.split()[1]) for ln in lines if ln.startswith("MemTotal:")), None)
    return None if total_kib is None else round(total_kib / 2**20, 1)
