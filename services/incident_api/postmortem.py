"""The post-mortem document, reconstructed from an incident's events.

Everything in it comes from the log: the facts, who did what and when, the figures. A team can
paste the Markdown into Confluence or a Google Doc unchanged. The incident timeline holds what
happened during the incident; the review's own bookkeeping goes to a short review log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal, assert_never

from services.incident_api import postmortem_sections as section
from services.incident_api.markdown import (
    duration,
    inline,
    markdown_cell,
    text_block,
    time_or_dash,
    timeline_table,
    utc_time,
)
from services.incident_api.postmortem_figures import ReviewFigures as ReviewFigures
from services.incident_api.postmortem_figures import (
    communication,
    intervals,
    milestones,
    review_figures,
)
from shared.domain import events as ev
from shared.domain.cadence import DEFAULT_UPDATE_CADENCE, Cadence, parse_cadence
from shared.domain.events import IncidentEvent
from shared.domain.incident import Incident
from shared.domain.review import FactorCategory, FollowUp
from shared.eventstore.store import RecordedEvent
from shared.readmodels.timeline import RELATION_TEXT, TimelineEntry, in_time_order, timeline_entry

__all__ = ["ReviewFigures", "part_of", "render_postmortem", "review_figures"]

Part = Literal["response", "record", "review"]


def part_of(event: IncidentEvent) -> Part:
    """Where the document tells of an event: the response (the incident timeline), the record
    (corrections of the incident's facts: the timeline while the incident is open, the review
    log after) or the review (the review log)."""
    match event:  # every event type, so a new one is placed here before it can be rendered
        case (
            ev.UpdatePosted()
            | ev.RoleAssigned()
            | ev.SeverityChanged()
            | ev.ImpactAssessed()
            | ev.CustomerUpdateOverdue()
            | ev.Escalated()
            | ev.Declared()
            | ev.Resolved()
            | ev.Closed()
            | ev.Reopened()
            | ev.RoleUnassigned()
            | ev.TimelineEntryAdded()
            | ev.Paged()
            | ev.Acknowledged()
            | ev.PageEscalated()
            | ev.PagingExhausted()
            | ev.HandoverDue()
            | ev.AlertAttached()
            | ev.AlertResolved()
            | ev.AlertsAllResolved()
        ):
            return "response"
        case ev.TicketLinked() | ev.DetailsEdited() | ev.ImpactWindowSet() | ev.IncidentLinked():
            return "record"
        case (
            ev.PostmortemStarted()
            | ev.RootCauseRecorded()
            | ev.ContributingFactorAdded()
            | ev.RecommendationAdded()
            | ev.FollowUpAdded()
            | ev.FollowUpCompleted()
            | ev.FollowUpReassigned()
            | ev.FollowUpDueDateChanged()
            | ev.PostmortemPublished()
            | ev.ContributingFactorEdited()
            | ev.ContributingFactorWithdrawn()
            | ev.RecommendationEdited()
            | ev.RecommendationWithdrawn()
            | ev.FollowUpCancelled()
            | ev.PostmortemAmended()
            | ev.FollowUpOverdue()
        ):
            return "review"
        case _:
            assert_never(event)


def render_postmortem(
    incident: Incident,
    events: Sequence[RecordedEvent],
    *,
    today: date,
    cadence: Cadence | None = None,
) -> str:
    """The whole post-mortem as Markdown; `today` (UTC) decides which follow-ups are overdue,
    `cadence` (the deployment's, default `DEFAULT_UPDATE_CADENCE`) when updates were due."""
    review = incident.review
    timeline, review_log = _split_timeline(incident, events)
    comms = communication(incident, events, cadence or parse_cadence(DEFAULT_UPDATE_CADENCE))
    lines = [
        f"# Post-incident review: {incident.reference} {inline(incident.title)}",
        "",
        *_header(incident, events),
        "",
        "## Summary",
        "",
        text_block(incident.description or "No description recorded."),
        *(
            ["", f"**Resolution:** {text_block(incident.resolution_summary)}"]
            if incident.resolution_summary
            else []
        ),
        "",
        "## Impact window",
        "",
        *_impact_window(incident, events),
        "",
        "## Severity history",
        "",
        *section.severity_history(events),
        "",
        "## Roles and handovers",
        "",
        *section.role_history(events),
        "",
        "## Tickets",
        "",
        *section.tickets(events),
        "",
        "## Escalations",
        "",
        *section.escalations(events),
        "",
        "## Customer communication",
        "",
        *section.customer_communication(comms, review_figures(events).overdue_reminders),
        "",
        "## Incident timeline",
        "",
        *timeline_table(timeline),
        "",
        "## Root cause",
        "",
        text_block(review.root_cause or "Not recorded yet."),
        "",
        "## Contributing factors",
        "",
        *_factors(incident),
        "",
        "## Recommendations",
        "",
        *(
            [f"{n}. {inline(text)}" for n, text in enumerate(review.recommendations, start=1)]
            or ["None recorded."]
        ),
        "",
        "## Follow-ups",
        "",
        *_follow_ups(incident, today),
        "",
        "## Review log",
        "",
        *(timeline_table(review_log) if review_log else ["The review has not started."]),
        *_revision_history(events),
    ]
    return "\n".join(lines) + "\n"


def _header(incident: Incident, events: Sequence[RecordedEvent]) -> list[str]:
    """Reference, title, status, severity, services, impact, scope, resolution, people."""
    review = incident.review
    if incident.postmortem_required:
        required = " (required, pending)" if incident.review_pending else " (required)"
    else:
        required = " (not required)"
    current = incident.severity or "unclassified"
    peak = f" (peak {incident.peak_severity})" if incident.peak_severity else ""
    return [
        f"- **Reference:** {incident.reference}",
        f"- **Title:** {inline(incident.title)}",
        f"- **Status:** {incident.status}",
        f"- **Review:** {'not started' if review.status == 'none' else review.status}{required}",
        f"- **Severity:** {current}{peak}",
        f"- **Services:** {', '.join(incident.services) or 'none recorded'}",
        f"- **Impact:** {inline(incident.impact or 'not assessed')}",
        f"- **Scope:** {inline(incident.scope or 'not assessed')}",
        f"- **Resolution:** {section.resolution(incident, events)}",
        f"- **Declared by:** {incident.declared_by}",
        f"- **Owner:** {incident.owner}",
        *section.people_in_roles(incident, events),
        f"- **Review facilitator:** {review.facilitator or 'none yet'}",
        *_related(incident),
    ]


def _related(incident: Incident) -> list[str]:
    """The incidents linked to this one, in the order linked; no line while there are none."""
    if not incident.links:
        return []
    related = []
    for link in incident.links:
        relation = RELATION_TEXT.get(link["relation"], link["relation"])
        if link["direction"] == "to":
            related.append(f"{relation} {link['other_reference']}")
        else:
            related.append(f"{link['other_reference']} {relation} this incident")
    return [f"- **Related incidents:** {'; '.join(related)}"]


def _impact_window(incident: Incident, events: Sequence[RecordedEvent]) -> list[str]:
    """The milestones with their times, then the durations between them."""
    return [
        "| Milestone | Time (UTC) | Detail |",
        "|---|---|---|",
        *(
            f"| {m.name} | {time_or_dash(m.at)} | {markdown_cell(m.detail)} |"
            for m in milestones(incident, events)
        ),
        "",
        "| Measure | From → to | Duration |",
        "|---|---|---|",
        *(f"| {i.name} | {i.between} | {duration(i.span)} |" for i in intervals(incident, events)),
    ]


def _split_timeline(
    incident: Incident, events: Sequence[RecordedEvent]
) -> tuple[list[TimelineEntry], list[TimelineEntry]]:
    """The incident timeline and the review log, each in time order, naming follow-ups by title."""
    titles = {key: f.title for key, f in incident.review.follow_ups.items()}
    timeline: list[TimelineEntry] = []
    review_log: list[TimelineEntry] = []
    is_open = True
    for recorded in events:
        event = recorded.event
        part = part_of(event)
        entry = timeline_entry(recorded, follow_up_titles=titles)
        if part == "response" or (part == "record" and is_open):
            timeline.append(entry)
        else:
            review_log.append(entry)
        if type(event) is ev.Resolved:
            is_open = False
        elif type(event) is ev.Reopened:
            is_open = True
    return in_time_order(timeline), review_log


def _factors(incident: Incident) -> list[str]:
    """The contributing factors, grouped by category in the categories' order."""
    factors = incident.review.contributing_factors
    if not factors:
        return ["None recorded."]
    order = [c.value for c in FactorCategory]
    categories = sorted(
        {f["category"] for f in factors}, key=lambda c: order.index(c) if c in order else 99
    )
    lines: list[str] = []
    for category in categories:
        lines += [
            f"**{category.capitalize()}**",
            "",
            *(f"- {inline(f['text'])}" for f in factors if f["category"] == category),
            "",
        ]
    return lines[:-1]


def _follow_ups(incident: Incident, today: date) -> list[str]:
    """Each follow-up: owner, due date (and the first one if it moved), status and ticket."""
    follow_ups = list(incident.review.follow_ups.values())
    if not follow_ups:
        reason = incident.review.no_follow_up_reason
        return [f"No follow-up needed: {inline(reason)}" if reason else "None recorded."]
    lines = ["| Action | Owner | Due | Status | Ticket |", "|---|---|---|---|---|"]
    for f in follow_ups:
        cells = [f.title, f.owner, _due(f), _status(f, today), f.ticket or "-"]
        lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    return lines


def _due(follow_up: FollowUp) -> str:
    first = follow_up.original_due_date
    if not follow_up.due_date_changes or first is None:
        return follow_up.due_date
    times = "once" if follow_up.due_date_changes == 1 else f"{follow_up.due_date_changes} times"
    return f"{follow_up.due_date} (first due {first}, moved {times})"


def _status(follow_up: FollowUp, today: date) -> str:
    if follow_up.completed_at is not None:
        note = f": {inline(follow_up.completion_note)}" if follow_up.completion_note else ""
        return f"done {utc_time(follow_up.completed_at)} by {follow_up.completed_by}{note}"
    if follow_up.cancelled_at is not None:
        reason = inline(follow_up.cancel_reason or "")
        return f"cancelled {utc_time(follow_up.cancelled_at)} by {follow_up.cancelled_by}: {reason}"
    if date.fromisoformat(follow_up.due_date) < today:
        return "open, overdue"
    return "open"


def _revision_history(events: Sequence[RecordedEvent]) -> list[str]:
    """Every publication and amendment of the review, once it has been amended (a review
    published once has no history to show)."""
    revisions: list[str] = []
    for recorded in events:
        event = recorded.event
        if type(event) is ev.PostmortemPublished:
            revisions.append(f"- {utc_time(event.timestamp)}: published by {event.actor}")
        elif type(event) is ev.PostmortemAmended:
            revisions.append(
                f"- {utc_time(event.timestamp)}: amended by {event.actor}: {inline(event.reason)}"
            )
    if not any(type(r.event) is ev.PostmortemAmended for r in events):
        return []
    return ["", "## Revision history", "", *revisions]
