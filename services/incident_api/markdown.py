"""The timeline as Markdown, ready to paste into a post-mortem document, and the small pieces
of Markdown the post-mortem is written with (times, durations, table cells)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

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


def time_or_dash(moment: datetime | None) -> str:
    """A moment as `utc_time` shows it, or `-` when it is not known."""
    return "-" if moment is None else utc_time(moment)


def duration(span: timedelta | None) -> str:
    """`4m 30s` under an hour, `1h 21m 00s` from an hour up, `-` when not known."""
    if span is None:
        return "-"
    seconds = int(span.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    shown = f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"
    return sign + shown


def inline(text: str) -> str:
    """Text on one line, its runs of white space made single spaces (nothing is cut)."""
    return " ".join(text.split())


def text_block(text: str) -> str:
    """Plain text as Markdown paragraphs that keep its lines: each line followed by another of
    the same paragraph ends in a hard break (CommonMark `\\`)."""
    parts = [part.rstrip() for part in text.strip().splitlines()]
    return "\n".join(
        f"{part}\\" if part and following else part
        for part, following in zip(parts, [*parts[1:], ""], strict=True)
    )
