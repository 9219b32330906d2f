"""The post-mortem document, reconstructed from an incident's events (seed section 9).

Everything in it comes from the log: the facts, who did what and when, the figures. A reader
can paste the Markdown into a wiki unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.domain.events import event_actor, event_data, event_name
from shared.domain.incident import Incident
from shared.eventstore.store import RecordedEvent
from shared.readmodels.markdown import markdown_cell, timeline_table, utc_time
from shared.readmodels.timeline import timeline_entry


@dataclass(frozen=True, slots=True)
class ReviewFigures:
    """The response's key durations, from the events."""

    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None
    customer_updates: int
    longest_customer_gap: timedelta | None
    overdue_reminders: int


def review_figures(events: Sequence[RecordedEvent]) -> ReviewFigures:
    """Time to acknowledge (first IC), to resolve (last resolution), and communication gaps."""
    declared_at = events[0].event.timestamp
    acknowledged = resolved = None
    # Gaps are measured while the incident is open, as the cadence is; None once resolved.
    contact: datetime | None = declared_at
    gaps: list[timedelta] = []
    updates = reminders = 0
    for recorded in events:
        name, data, at = (
            event_name(recorded.event),
            event_data(recorded.event),
            recorded.event.timestamp,
        )
        if name == "RoleAssigned" and data["role"] == "incident_commander" and acknowledged is None:
            acknowledged = at
        elif name == "Resolved":
            resolved = at
            if contact is not None:
                gaps.append(at - contact)
            contact = None
        elif name == "Reopened":
            resolved, contact = None, at
        elif name == "UpdatePosted" and data["audience"] == "customer":
            updates += 1
            if contact is not None:
                gaps.append(at - contact)
                contact = at
        elif name == "CustomerUpdateOverdue":
            reminders += 1
    return ReviewFigures(
        time_to_acknowledge=None if acknowledged is None else acknowledged - declared_at,
        time_to_resolve=None if resolved is None else resolved - declared_at,
        customer_updates=updates,
        longest_customer_gap=max(gaps) if gaps else None,
        overdue_reminders=reminders,
    )


def render_postmortem(incident: Incident, events: Sequence[RecordedEvent], *, today: date) -> str:
    """The whole post-mortem as Markdown."""
    review = incident.review
    figures = review_figures(events)
    lines = [
        f"# Post-incident review: {incident.display_id} {_inline(incident.title)}",
        "",
        f"- Status: {incident.status}; review: {review.status}"
        + (" (required, pending)" if incident.review_pending else ""),
        f"- Severity: {incident.severity or 'unclassified'}",
        f"- Services: {', '.join(incident.services) or 'none recorded'}",
        f"- Declared: {_time(incident.created_on)} by {incident.declared_by}",
        f"- Resolved: {_time(incident.resolved_at)} ({incident.resolution or '-'})",
        f"- Closed: {_time(incident.closed_at)}",
        f"- Facilitator: {review.facilitator or '-'}",
        "",
        "## Summary",
        "",
        _paragraph(incident.resolution_summary or incident.description or "No summary recorded."),
        "",
        "## Impact and scope",
        "",
        f"- Impact: {_inline(incident.impact or 'not assessed')}",
        f"- Scope: {_inline(incident.scope or 'not assessed')}",
        "",
        "## Severity history",
        "",
        *_severity_history(events),
        "",
        "## Roles and handovers",
        "",
        *_role_history(events),
        "",
        "## Response figures",
        "",
        f"- Time to acknowledge (declared to first Incident Commander): "
        f"{_duration(figures.time_to_acknowledge)}",
        f"- Time to resolve (declared to resolution): {_duration(figures.time_to_resolve)}",
        f"- Customer updates: {figures.customer_updates}; longest gap without one: "
        f"{_duration(figures.longest_customer_gap)}; overdue reminders: "
        f"{figures.overdue_reminders}",
        "",
        "## Timeline",
        "",
        *timeline_table([timeline_entry(r) for r in events]),
        "",
        "## Root cause",
        "",
        _paragraph(review.root_cause or "Not recorded yet."),
        "",
        "## Contributing factors",
        "",
        *(
            [f"- **{f['category']}**: {_inline(f['text'])}" for f in review.contributing_factors]
            or ["None recorded."]
        ),
        "",
        "## Follow-up actions",
        "",
        *_follow_ups(incident, today),
        "",
        "## Recommendations",
        "",
        *([f"- {_inline(text)}" for text in review.recommendations] or ["None recorded."]),
    ]
    return "\n".join(lines) + "\n"


def _severity_history(events: Sequence[RecordedEvent]) -> list[str]:
    lines = []
    for recorded in events:
        name, data = event_name(recorded.event), event_data(recorded.event)
        at = _time(recorded.event.timestamp)
        if name == "Declared":
            lines.append(f"- {at}: declared as {data.get('severity') or 'unclassified'}")
        elif name == "SeverityChanged":
            start = data.get("from_severity") or "unclassified"
            lines.append(
                f"- {at}: {start} → {data['to_severity']} by {event_actor(recorded.event)}: "
                f"{_inline(data['reason'])}"
            )
    return lines


def _role_history(events: Sequence[RecordedEvent]) -> list[str]:
    lines = []
    for recorded in events:
        if event_name(recorded.event) != "RoleAssigned":
            continue
        data = event_data(recorded.event)
        at = _time(recorded.event.timestamp)
        handover = f" (from {data['previous_holder']})" if data.get("previous_holder") else ""
        note = f": {_inline(data['note'])}" if data.get("note") else ""
        lines.append(f"- {at}: {data['role']} → {data['assignee']}{handover}{note}")
    return lines or ["- No roles assigned; the owner acted as Incident Commander."]


def _follow_ups(incident: Incident, today: date) -> list[str]:
    follow_ups = list(incident.review.follow_ups.values())
    if not follow_ups:
        reason = incident.review.no_follow_up_reason
        return [f"No follow-up needed: {_inline(reason)}" if reason else "None recorded."]
    lines = ["| Action | Owner | Due | State |", "|---|---|---|---|"]
    for f in follow_ups:
        if f.done:
            state = f"done {_time(f.completed_at)} by {f.completed_by}"
        elif date.fromisoformat(f.due_date) < today:
            state = "open, overdue"
        else:
            state = "open"
        ticket = f" ({markdown_cell(f.ticket)})" if f.ticket else ""
        title, owner = markdown_cell(f.title), markdown_cell(f.owner)
        lines.append(f"| {title}{ticket} | {owner} | {f.due_date} | {state} |")
    return lines


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else utc_time(moment)


def _duration(span: timedelta | None) -> str:
    if span is None:
        return "-"
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _inline(text: str) -> str:
    return " ".join(text.split())


def _paragraph(text: str) -> str:
    return text.strip()
