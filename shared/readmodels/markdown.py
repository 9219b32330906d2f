"""The timeline as Markdown, ready to paste into a post-mortem document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shared.readmodels.incidents import IncidentRow
from shared.readmodels.timeline import TimelineEntry


def timeline_markdown(incident: IncidentRow, entries: Sequence[TimelineEntry]) -> str:
    """A heading with the incident's key facts, then one table row per event, in order."""
    lines = [
        f"## Timeline of {incident.reference}: {_cell(incident.title)}",
        "",
        f"- Severity: {incident.severity or 'unclassified'}; status: {incident.status}",
        f"- Declared: {_time(incident.declared_at)} by {incident.declared_by}",
    ]
    if incident.resolved_at is not None:
        lines.append(f"- Resolved: {_time(incident.resolved_at)} ({incident.resolution})")
    if incident.closed_at is not None:
        lines.append(f"- Closed: {_time(incident.closed_at)}")
    lines += ["", "| Time (UTC) | Who | What |", "|---|---|---|"]
    lines += [
        f"| {_time(e.occurred_at)} | {_cell(e.actor or '')} | {_cell(e.summary)} |" for e in entries
    ]
    return "\n".join(lines) + "\n"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _cell(text: str) -> str:
    # A pipe would end the cell and a newline the row; both are kept visible but harmless.
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
