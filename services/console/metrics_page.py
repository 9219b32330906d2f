"""The metrics page (`/ui/metrics`): the API's incident metrics as SVG charts drawn here.

The figures are GET /v1/metrics/incidents over the chosen window, once overall and once per
severity; pygal draws them as SVG on the server, with no script in the chart (pygal's
tooltips load from a CDN, so they are off) and each value printed, not only shown by length.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

import pygal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pygal.style import Style

from services.console.board import SEVERITIES
from services.console.web import ViewerDep, render

router = APIRouter(prefix="/ui", include_in_schema=False)

WINDOWS: Final = {"1": "last 24 hours", "7": "last 7 days", "30": "last 30 days",
                  "90": "last 90 days", "365": "last year"}  # fmt: skip
_SCRIPT: Final = re.compile(r"<script\b.*?</script>", re.DOTALL)
_STYLE: Final = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5360",
    colors=("#0a4fb4", "#9b1c1c", "#2d4f2d", "#8a4b00"),
    font_family="system-ui, sans-serif",
    value_font_size=14,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    title_font_size=16,
    no_data_font_size=18,
)


@router.get("/metrics")
async def metrics_page(
    request: Request, viewer: ViewerDep, days: Annotated[str, Query(max_length=4)] = "30"
) -> HTMLResponse:
    """Time to acknowledge and to resolve by severity, cadence compliance and follow-up
    completion over the chosen window."""
    days = days if days in WINDOWS else "30"
    until = datetime.now(UTC)
    since = until - timedelta(days=int(days))
    window = {"since": since.isoformat(), "until": until.isoformat()}
    overall = await viewer.api.read("/v1/metrics/incidents", **window)
    by_severity = {
        s: await viewer.api.read("/v1/metrics/incidents", severity=s, **window) for s in SEVERITIES
    }
    acknowledge = _durations(by_severity, "time_to_acknowledge")
    charts = [
        ("Time to acknowledge by severity (minutes)", acknowledge),
        ("Time to resolve by severity (minutes)", _durations(by_severity, "time_to_resolve")),
        ("Customer updates on time, by severity (%)", _cadence(by_severity)),
        ("Follow-up actions of these incidents", _follow_ups(overall["follow_ups"])),
    ]
    context = {
        "days": days,
        "windows": WINDOWS,
        "overall": overall,
        "by_severity": by_severity,
        "charts": charts,
        "since": since,
        "until": until,
    }
    return render(request, "metrics.html", context, viewer=viewer)


def _chart(chart_type: Any, title: str) -> Any:
    return chart_type(
        style=_STYLE,
        js=[],  # pygal's tooltip script comes from a CDN: none, and values printed instead
        width=620,
        height=340,
        print_values=True,
        show_y_guides=True,
        legend_at_bottom=True,
        title=title,
        disable_xml_declaration=True,
        explicit_size=False,
        no_data_text="No incidents in this window",
    )


def _svg(chart: Any, title: str) -> str:
    # pygal writes its configuration into the SVG as a script for its tooltips: not wanted.
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    # An image with a name for assistive technology; the same figures are in the table below.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _durations(by_severity: dict[str, dict[str, Any]], name: str) -> str:
    title = name.replace("_", " ").capitalize()
    chart = _chart(pygal.Bar, title)
    chart.x_labels = list(by_severity)
    chart.add("median", [_minutes(m[name]["median_seconds"]) for m in by_severity.values()])
    chart.add("p90", [_minutes(m[name]["p90_seconds"]) for m in by_severity.values()])
    return _svg(chart, title)


def _cadence(by_severity: dict[str, dict[str, Any]]) -> str:
    chart = _chart(pygal.Bar, "Customer updates within cadence")
    chart.x_labels = list(by_severity)
    chart.range = (0, 100)
    ratios = [m["update_cadence"]["ratio"] for m in by_severity.values()]
    chart.add("on time %", [None if r is None else round(r * 100, 1) for r in ratios])
    return _svg(chart, "Customer updates within cadence")


def _follow_ups(follow_ups: dict[str, Any]) -> str:
    chart = _chart(pygal.HorizontalBar, "Follow-up actions")
    on_time = follow_ups["completed_on_time"]
    late = follow_ups["completed"] - on_time
    overdue = follow_ups["overdue"]
    chart.add("done on time", [on_time])
    chart.add("done late", [late])
    chart.add("open, overdue", [overdue])
    chart.add("open, not due yet", [follow_ups["open"] - overdue])
    return _svg(chart, "Follow-up actions")
