"""The metrics as CSV for a spreadsheet: one row per bucket, then one for the whole window."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from services.incident_api.metrics_schemas import FiguresRead, MetricsRead

CSV_MEDIA_TYPE = "text/csv"

_DURATION_FIGURES = ("count", "mean_seconds", "median_seconds", "p90_seconds")
_CADENCE_FIGURES = ("intervals", "within_cadence", "ratio")
TOTAL = "total"
"""The bucket column of the row that covers the whole window."""


def wants_csv(accept: str | None) -> bool:
    """Whether the Accept header asks for CSV rather than JSON."""
    return bool(accept and CSV_MEDIA_TYPE in accept and "application/json" not in accept)


def metrics_csv(metrics: MetricsRead) -> str:
    """RFC 4180 CSV: a header row, a row per trend bucket, and the `total` row of the window.

    Every row has the same columns: a service column for each service of the window, so a
    bucket in which a service had no incident says 0.
    """
    services = sorted(metrics.by_service)
    rows = [_row(t.bucket, _moment(t.start), _moment(t.end), t, services) for t in metrics.trends]
    rows.append(_row(TOTAL, _moment(metrics.since), _moment(metrics.until), metrics, services))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0].keys())
    writer.writerows([[_cell(v) for v in row.values()] for row in rows])
    return out.getvalue()


def _row(
    bucket: str, start: str, end: str, figures: FiguresRead, services: list[str]
) -> dict[str, Any]:
    return dict(_columns(bucket, start, end, figures, services))


def _columns(
    bucket: str, start: str, end: str, figures: FiguresRead, services: list[str]
) -> Iterator[tuple[str, Any]]:
    yield from (("bucket", bucket), ("start", start), ("end", end))
    yield "incidents", figures.incidents
    yield from ((f"severity_{k}", v) for k, v in figures.by_severity.items())
    yield from ((f"status_{k}", v) for k, v in figures.by_status.items())
    for name in (
        "time_to_detect",
        "time_to_acknowledge",
        "time_to_declare",
        "time_to_resolve",
        "time_to_close",
        "time_to_hand_over",
    ):
        duration = getattr(figures, name)
        yield from ((f"{name}_{f}", getattr(duration, f)) for f in _DURATION_FIGURES)
    yield from ((f"cadence_{f}", getattr(figures.update_cadence, f)) for f in _CADENCE_FIGURES)
    for severity, cadence in figures.update_cadence_by_severity.items():
        yield from ((f"cadence_{severity}_{f}", getattr(cadence, f)) for f in _CADENCE_FIGURES)
    yield "reopens", figures.reopens
    yield "reopened_incidents", figures.reopened_incidents
    yield "reviews_pending", figures.reviews_pending
    yield from ((f"follow_ups_{k}", v) for k, v in figures.follow_ups.model_dump().items())
    yield from ((f"service_{s}", figures.by_service.get(s, 0)) for s in services)
    yield from ((f"factor_{k}", v) for k, v in figures.by_factor_category.items())


def _cell(value: Any) -> str:
    # Empty for a figure there is none of; numbers as Python writes them (JSON's spelling).
    return "" if value is None else str(value)


def _moment(moment: datetime) -> str:
    # As the JSON answer writes it: UTC with a Z.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
