"""Rich tables and lines for what the API answers: incidents, a timeline, a review, an event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

SEVERITY_STYLES = {"P1": "bold red", "P2": "red", "P3": "yellow", "P4": "cyan"}
ROLE_SHORT = {"incident_commander": "IC", "communications_lead": "CL", "operations_lead": "OL"}


def moment(value: str | None) -> str:
    """An API time as `2026-11-26 18:25` (UTC), or `-`."""
    parsed = _parse(value)
    return "-" if parsed is None else parsed.strftime("%Y-%m-%d %H:%M")


def age(value: str | None, now: datetime | None = None) -> str:
    """How long ago an API time was: `45s`, `12m`, `3h05m`, `2d4h`."""
    parsed = _parse(value)
    if parsed is None:
        return "-"
    seconds = max(0, int(((now or datetime.now(UTC)) - parsed).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{hours // 24}d{hours % 24}h"


def severity(value: str | None) -> Text:
    """A severity, coloured (the text itself says it, so colour is never the only signal)."""
    return Text(value or "-", style=SEVERITY_STYLES.get(value or "", ""))


def incidents_table(items: list[dict[str, Any]]) -> Table:
    """The incident list: reference, severity, status, title, IC, CL, OL, age, customer update."""
    table = Table(show_edge=False, pad_edge=False)
    for column in ("Ref", "Sev", "Status", "Title", "IC", "CL", "OL", "Age", "Cust. update"):
        table.add_column(column, no_wrap=column != "Title")
    for item in items:
        roles = item.get("roles") or {}
        table.add_row(
            item["reference"],
            severity(item.get("severity")),
            item["status"],
            escape(item["title"]),
            escape(item.get("acting_commander") or "-"),
            escape(roles.get("communications_lead") or "-"),
            escape(roles.get("operations_lead") or "-"),
            age(item.get("declared_at")),
            _customer_update(item),
        )
    return table


def _customer_update(item: dict[str, Any]) -> Text:
    last = item.get("last_customer_update_at")
    text = "never" if last is None else f"{age(last)} ago"
    if item.get("update_overdue"):
        return Text(f"{text} OVERDUE", style="bold red")
    return Text(text)


def incident_table(incident: dict[str, Any]) -> Table:
    """One incident, field by field."""
    table = Table(show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    title = Text(f"{incident['reference']} ", style="bold")
    title.append(incident["title"])
    table.add_row("Incident", title)
    table.add_row("Status", _status(incident))
    table.add_row("Severity", severity(incident.get("severity")))
    if incident.get("description"):
        table.add_row("Description", escape(incident["description"]))
    table.add_row("Services", escape(", ".join(incident.get("services") or []) or "-"))
    table.add_row("Owner", escape(incident["owner"]))
    table.add_row("Acting IC", escape(incident.get("acting_commander") or "-"))
    roles = incident.get("roles") or {}
    for role, short in ROLE_SHORT.items():
        if role in roles:
            table.add_row(f"{short} ({role})", escape(roles[role]))
    if incident.get("impact") or incident.get("scope"):
        table.add_row("Impact", escape(incident.get("impact") or "-"))
        table.add_row("Scope", escape(incident.get("scope") or "-"))
    for ticket in incident.get("tickets") or []:
        table.add_row(
            "Ticket", escape(f"{ticket['system']} {ticket['key']} {ticket.get('url') or ''}")
        )
    declared = f"{moment(incident.get('declared_at'))} by {incident.get('declared_by')}"
    table.add_row("Declared", escape(declared))
    if "update_overdue" in incident:
        table.add_row("Customer update", _next_update(incident))
    if incident.get("resolution"):
        resolved = f"{incident['resolution']} at {moment(incident.get('resolved_at'))}"
        table.add_row("Resolution", escape(resolved))
        table.add_row("Summary", escape(incident.get("resolution_summary") or "-"))
    if incident.get("closed_at"):
        table.add_row("Closed", moment(incident["closed_at"]))
    if "postmortem_status" in incident:
        review = incident["postmortem_status"]
        if incident.get("review_pending"):
            review += " (required, pending)"
        table.add_row("Review", review)
    table.add_row("Version", str(incident["version"]))
    return table


def _status(incident: dict[str, Any]) -> Text:
    styles = {"open": "bold", "resolved": "green", "closed": "dim"}
    return Text(incident["status"], style=styles.get(incident["status"], ""))


def _next_update(incident: dict[str, Any]) -> Text:
    last = incident.get("last_customer_update_at")
    due = incident.get("next_customer_update_due")
    text = f"last {moment(last) if last else 'never'}"
    if due:
        text += f", next due {moment(due)}"
    if incident.get("update_overdue"):
        return Text(f"{text} OVERDUE", style="bold red")
    return Text(text)


def timeline_table(timeline: dict[str, Any]) -> Table:
    """An incident's timeline, one row per event, in the order things happened."""
    table = Table(title=f"Timeline of {timeline['reference']}", show_edge=False, pad_edge=False)
    table.add_column("Time (UTC)", no_wrap=True)
    table.add_column("Who", no_wrap=True)
    table.add_column("What")
    for item in timeline["items"]:
        when = moment(item["occurred_at"])
        if item.get("added_later"):
            when += " *"
        table.add_row(when, escape(item.get("actor") or "-"), escape(item["summary"]))
    return table


def review_table(postmortem: dict[str, Any]) -> Table:
    """A post-incident review: its state, root cause, factors, recommendations, follow-ups."""
    review = postmortem["review"]
    table = Table(
        title=f"Post-incident review of {postmortem['reference']}: {escape(postmortem['title'])}",
        show_header=False,
        show_edge=False,
        pad_edge=False,
        box=None,
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    state = review["status"]
    if review.get("required"):
        state += ", required" + (" and pending" if review.get("pending") else "")
    table.add_row("Status", state)
    table.add_row("Facilitator", escape(review.get("facilitator") or "-"))
    table.add_row("Root cause", escape(review.get("root_cause") or "-"))
    for factor in review.get("contributing_factors") or []:
        table.add_row("Factor", escape(f"[{factor.get('category')}] {factor.get('text')}"))
    for recommendation in review.get("recommendations") or []:
        table.add_row("Recommendation", escape(recommendation))
    for follow_up in review.get("follow_ups") or []:
        line = (
            f"{follow_up['title']} ({follow_up['owner']}, due {follow_up['due_date']}, "
            f"{follow_up['status']})"
        )
        table.add_row("Follow-up", escape(line))
    if review.get("published_at"):
        table.add_row("Published", moment(review["published_at"]))
    return table


def event_line(event: dict[str, Any]) -> Text:
    """One live event as a line: time, reference, summary."""
    line = Text(f"{moment(event.get('occurred_at'))}  ", style="dim")
    line.append(f"{event.get('reference')}  ", style="bold")
    line.append(str(event.get("summary", event.get("type"))))
    return line


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC)
