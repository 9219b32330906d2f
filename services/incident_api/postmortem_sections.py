"""The post-mortem's sections about the response: the people in each role and their handovers,
tickets, escalations, the severity history and the customer communication.

Each returns the section's lines, without its heading; `postmortem.render_postmortem` puts
them together. Every time is UTC; notes and update bodies are shown in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from services.incident_api.markdown import duration, inline, markdown_cell, text_block, utc_time
from services.incident_api.postmortem_figures import Communication, CustomerUpdate
from shared.domain import events as ev
from shared.domain.incident import Incident
from shared.domain.values import Role, Status
from shared.eventstore.store import RecordedEvent

ROLE_NAMES: Final = {
    Role.INCIDENT_COMMANDER.value: "Incident Commander",
    Role.COMMUNICATIONS_LEAD.value: "Communications Lead",
    Role.OPERATIONS_LEAD.value: "Operations Lead",
}
"""How a role reads in the document."""


def role_name(role: str) -> str:
    """`incident_commander` as `Incident Commander`."""
    return ROLE_NAMES.get(role, role)


def people_in_roles(incident: Incident, events: Sequence[RecordedEvent]) -> list[str]:
    """One header line per role: who holds it now, and who held it before."""
    held: dict[str, list[str]] = {role.value: [] for role in Role}
    for recorded in events:
        event = recorded.event
        if type(event) is ev.RoleAssigned:
            held.setdefault(event.role, []).append(event.assignee)
    lines = []
    for role, holders in held.items():
        now = incident.roles.get(role)
        earlier = [h for h in dict.fromkeys(holders) if h != now]
        if now is None and not earlier:
            shown = "none named"
            if role == Role.INCIDENT_COMMANDER.value:
                shown += f"; the owner, {incident.owner}, acted as Incident Commander"
        else:
            shown = now or "none now"
            if earlier:
                shown += f" (earlier: {', '.join(earlier)})"
        lines.append(f"- **{role_name(role)}:** {shown}")
    return lines


def role_history(events: Sequence[RecordedEvent]) -> list[str]:
    """Every assignment, handover and stand-down, with its note in full."""
    lines: list[str] = []
    for recorded in events:
        event = recorded.event
        if type(event) is ev.RoleAssigned:
            role = role_name(event.role)
            if event.previous_holder:
                text = f"{event.actor} handed {role} from {event.previous_holder} to "
                text += f"{event.assignee}"
            else:
                text = f"{event.actor} named {event.assignee} {role}"
            lines += _with_note(f"- {utc_time(event.timestamp)}: {text}", event.note)
        elif type(event) is ev.RoleUnassigned:
            role = role_name(event.role)
            text = f"{event.actor} stood {event.previous_holder} down as {role}; none named since"
            lines += _with_note(f"- {utc_time(event.timestamp)}: {text}", event.note)
        elif type(event) is ev.HandoverDue:
            text = f"shift change: {event.from_person} went off call holding "
            text += f"{role_name(event.role)}; {event.to_person} is on call"
            lines.append(f"- {utc_time(event.timestamp)}: {text}")
        elif type(event) is ev.Acknowledged and event.took_ownership:
            text = f"{event.actor} acknowledged the page and took ownership from "
            text += f"{event.previous_owner}, acting as Incident Commander"
            lines.append(f"- {utc_time(event.timestamp)}: {text}")
    return lines or ["No roles were assigned; the owner acted as Incident Commander."]


def _with_note(line: str, note: str | None) -> list[str]:
    """The item, and its note in full: on the line when it is one line, else quoted below."""
    if not note or not note.strip():
        return [line]
    text = note.strip()
    if "\n" not in text:
        return [f"{line}. Note: {text}"]
    # Hard breaks keep the note's lines apart when it is rendered, not only in the source.
    quoted = [f"  > {part}".rstrip() for part in text_block(text).splitlines()]
    return [f"{line}. Note:", *quoted]


def severity_history(events: Sequence[RecordedEvent]) -> list[str]:
    """The severity at declaration and every change, with who and why."""
    lines = []
    for recorded in events:
        event = recorded.event
        at = utc_time(event.timestamp)
        if type(event) is ev.Declared:
            lines.append(f"- {at}: declared as {event.severity or 'unclassified'}")
        elif type(event) is ev.SeverityChanged:
            start = event.from_severity or "unclassified"
            lines.append(
                f"- {at}: {start} → {event.to_severity} by {event.actor}: {inline(event.reason)}"
            )
    return lines


def tickets(events: Sequence[RecordedEvent]) -> list[str]:
    """The tickets linked, with a link where one was given."""
    rows = []
    for recorded in events:
        event = recorded.event
        if type(event) is ev.TicketLinked:
            key = markdown_cell(event.key)
            shown = f"[{key}]({_link(event.url)})" if event.url else key
            rows.append(
                f"| {shown} | {markdown_cell(event.system)} | {utc_time(event.timestamp)} "
                f"| {markdown_cell(event.actor)} |"
            )
    if not rows:
        return ["None linked."]
    return ["| Ticket | System | Linked (UTC) | By |", "|---|---|---|---|", *rows]


def _link(url: str) -> str:
    """A URL safe inside a Markdown link's parentheses."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def escalations(events: Sequence[RecordedEvent]) -> list[str]:
    """Every escalation to another team or person, with the reason in full."""
    rows = [
        f"| {utc_time(e.timestamp)} | {markdown_cell(e.actor)} | {markdown_cell(e.target)} "
        f"| {markdown_cell(inline(e.reason))} |"
        for e in (r.event for r in events)
        if type(e) is ev.Escalated
    ]
    if not rows:
        return ["None."]
    return ["| Time (UTC) | By | Escalated to | Reason |", "|---|---|---|---|", *rows]


def customer_communication(comms: Communication, reminders: int) -> list[str]:
    """The cadence, how the customer updates kept it, and each update with its time."""
    intervals = comms.intervals
    kept = (
        f"{comms.within} of {intervals} intervals ({round(100 * comms.within / intervals)}%)"
        if intervals
        else "no interval was closed by a customer update"
    )
    finals = sum(1 for u in comms.updates if u.final)
    lines = [
        f"- Cadence: {_cadence(comms)}",
        f"- Customer updates: {len(comms.updates)}"
        + (f", of which {finals} final {'notice' if finals == 1 else 'notices'}" if finals else ""),
        f"- Within cadence: {kept}",
        f"- Intervals missed (overdue reminders): {reminders}",
    ]
    if comms.next_due is not None:
        lines.append(f"- Next customer update due: {utc_time(comms.next_due)}")
    if not comms.updates:
        return [*lines, "", "No customer update was posted."]
    return [
        *lines,
        "",
        "| Time (UTC) | By | Since last contact | In time | Update |",
        "|---|---|---|---|---|",
        *(_update_row(u) for u in comms.updates),
    ]


def _cadence(comms: Communication) -> str:
    if comms.severity is None or comms.interval is None:
        return "none (the incident is not classified)"
    return f"a customer update every {duration(comms.interval)} at {comms.severity}"


def _update_row(update: CustomerUpdate) -> str:
    if update.due is None:
        in_time = "after the resolution" if update.status != Status.OPEN else "not classified"
    elif update.at <= update.due:
        in_time = "yes"
    else:
        in_time = f"no, {duration(update.at - update.due)} late"
    body = ("Final notice: " if update.final else "") + inline(update.body)
    return (
        f"| {utc_time(update.at)} | {markdown_cell(update.by)} | "
        f"{duration(update.since_contact)} | {in_time} | {markdown_cell(body)} |"
    )


def resolution(incident: Incident, events: Sequence[RecordedEvent]) -> str:
    """How the incident was resolved: `restored`, `duplicate of INC-3`, or not yet."""
    if incident.resolution is None:
        return "not resolved yet"
    last = next((r.event for r in reversed(events) if type(r.event) is ev.Resolved), None)
    of = last.duplicate_of_reference if type(last) is ev.Resolved else None
    return f"{incident.resolution} of {of}" if of else incident.resolution
