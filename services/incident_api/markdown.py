"""The timeline as Markdown, ready to paste into a post-mortem document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shared.readmodels.incidents import IncidentRow
from shared.readmodels.timeline import TimelineEntry


def timeline_markdown(incident: IncidentRow, entries: Sequence[TimelineEntry]) -> str:
    """A heading with the incident's key facts, then one table row per event, in order."""
    lines = [
        f"## Timeline of {incident.reference}: {markdown_cell(incident.title)}",
        "",
        f"- Severity: {incident.severity or 'unclassified'}; status: {incident.status}",
        f"- Declared: {utc_time(incident.declared_at)} by {incident.declared_by}",
    ]
    if incident.resolved_at is not None:
        lines.append(f"- Resolved: {utc_time(incident.resolved_at)} ({incident.resolution})")
    if incident.closed_at is not None:
        lines.append(f"- Closed: {utc_time(incident.closed_at)}")
    lines += ["", *timeline_table(entries)]
    return "\n".join(lines) + "\n"


def timeline_table(entries: Sequence[TimelineEntry]) -> list[str]:
    """The lines of a Markdown table with one row per timeline entry."""
    return [
        "| Time (UTC) | Who | What |",
        "|---|---|---|",
        *(
            f"| {utc_time(e.occurred_at)} | {markdown_cell(e.actor or '')} "
            f"| {markdown_cell(e.summary)} |"
            for e in entries
        ),
    ]


def utc_time(moment: datetime) -> str:
    """A moment as `YYYY-MM-DD HH:MM:SS` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def markdown_cell(text: str) -> str:
    """Text made safe for one cell of a Markdown table."""
    # A pipe would end the cell and a newline the row; both are kept visible but harmless.
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
