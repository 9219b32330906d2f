"""The post-mortem document, reconstructed from an incident's events.

Everything in it comes from the log: the facts, who did what and when, the figures. A reader
can paste the Markdown into a wiki unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import assert_never

from services.incident_api.markdown import markdown_cell, timeline_table, utc_time
from shared.domain import events as ev
from shared.domain.incident import Incident
from shared.domain.rules import restarts_cadence
from shared.domain.values import Audience, Role
from shared.eventstore.store import RecordedEvent
from shared.readmodels.timeline import RELATION_TEXT, in_time_order, timeline_entry


@dataclass(frozen=True, slots=True)
class ReviewFigures:
    """The response's key durations, from the events."""

    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None
    customer_updates: int
    longest_customer_gap: timedelta | None
    # Customer-update intervals missed: one reminder may count several (`missed_intervals`).
    overdue_reminders: int


def review_figures(events: Sequence[RecordedEvent]) -> ReviewFigures:
    """Time to acknowledge (first IC), to resolve (last resolution), and communication gaps."""
    declared_at = events[0].event.timestamp
    acknowledged = resolved = None
    # Gaps are measured while the incident is open, as the cadence is: from the cadence's
    # (re)start to the next customer update or the resolution.
    contact, is_open = declared_at, True
    gaps: list[timedelta] = []
    updates = reminders = missed_since_contact = 0
    for recorded in events:
        event = recorded.event
        at = event.timestamp
        match event:
            case ev.RoleAssigned():
                if event.role == Role.INCIDENT_COMMANDER.value and acknowledged is None:
                    acknowledged = at
            case ev.Resolved():
                resolved = at
                if is_open:
                    gaps.append(at - contact)
                is_open = False
            case ev.Reopened():
                resolved, is_open = None, True
            case ev.UpdatePosted():
                if event.audience == Audience.CUSTOMER.value:
                    updates += 1
                    if is_open:
                        gaps.append(at - contact)
            case ev.CustomerUpdateOverdue():
                reminders += event.missed_intervals - missed_since_contact
                missed_since_contact = event.missed_intervals
            case (
                ev.Declared()
                | ev.SeverityChanged()
                | ev.ImpactAssessed()
                | ev.TicketLinked()
                | ev.Escalated()
                | ev.Closed()
                | ev.PostmortemStarted()
                | ev.RootCauseRecorded()
                | ev.ContributingFactorAdded()
                | ev.RecommendationAdded()
                | ev.FollowUpAdded()
                | ev.FollowUpCompleted()
                | ev.FollowUpReassigned()
                | ev.FollowUpDueDateChanged()
                | ev.PostmortemPublished()
                | ev.DetailsEdited()
                | ev.RoleUnassigned()
                | ev.ImpactWindowSet()
                | ev.TimelineEntryAdded()
                | ev.IncidentLinked()
                | ev.ContributingFactorEdited()
                | ev.ContributingFactorWithdrawn()
                | ev.RecommendationEdited()
                | ev.RecommendationWithdrawn()
                | ev.FollowUpCancelled()
                | ev.PostmortemAmended()
                | ev.FollowUpOverdue()
                | ev.AlertAttached()
                | ev.AlertResolved()
                | ev.AlertsAllResolved()
                | ev.Paged()
                | ev.Acknowledged()
                | ev.PageEscalated()
                | ev.PagingExhausted()
            ):
                pass
            case _:
                assert_never(event)
        if restarts_cadence(event):
            contact, missed_since_contact = at, 0
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
    severity_history, role_history = _histories(events)
    lines = [
        f"# Post-incident review: {incident.reference} {_inline(incident.title)}",
        "",
        f"- Status: {incident.status}; review: {review.status}"
        + (" (required, pending)" if incident.review_pending else ""),
        f"- Severity: {_severity(incident.severity, incident.peak_severity)}",
        f"- Services: {', '.join(incident.services) or 'none recorded'}",
        *_impact_window(incident),
        f"- Declared: {_time(incident.created_on)} by {incident.declared_by}",
        f"- Resolved: {_time(incident.resolved_at)} ({incident.resolution or '-'})",
        f"- Closed: {_time(incident.closed_at)}",
        *_related(incident),
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
        *severity_history,
        "",
        "## Roles and handovers",
        "",
        *role_history,
        "",
        "## Response figures",
        "",
        f"- Time to acknowledge (declared to first Incident Commander): "
        f"{_duration(figures.time_to_acknowledge)}",
        f"- Time to resolve (declared to resolution): {_duration(figures.time_to_resolve)}",
        *_detection_figures(incident),
        f"- Customer updates: {figures.customer_updates}; longest gap without one: "
        f"{_duration(figures.longest_customer_gap)}; overdue reminders: "
        f"{figures.overdue_reminders}",
        "",
        "## Timeline",
        "",
        *timeline_table(in_time_order([timeline_entry(r) for r in events])),
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
        *_revision_history(events),
    ]
    return "\n".join(lines) + "\n"


def _revision_history(events: Sequence[RecordedEvent]) -> list[str]:
    """Every publication and amendment of the review, once it has been amended (a review
    published once has no history to show)."""
    revisions: list[str] = []
    for recorded in events:
        event = recorded.event
        if type(event) is ev.PostmortemPublished:
            revisions.append(f"- {_time(event.timestamp)}: published by {event.actor}")
        elif type(event) is ev.PostmortemAmended:
            revisions.append(
                f"- {_time(event.timestamp)}: amended by {event.actor}: {_inline(event.reason)}"
            )
    if not any(type(r.event) is ev.PostmortemAmended for r in events):
        return []
    return ["", "## Revision history", "", *revisions]


def _impact_window(incident: Incident) -> list[str]:
    """When the impact began and when it was noticed, where known (before the declaration)."""
    lines = []
    if incident.started_at is not None:
        lines.append(f"- Impact began: {_time(incident.started_at)}")
    if incident.detected_at is not None:
        lines.append(f"- Detected: {_time(incident.detected_at)}")
    return lines


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
    return [f"- Related incidents: {'; '.join(related)}"]


def _detection_figures(incident: Incident) -> list[str]:
    """Time to detect and to declare, where the impact window gives them."""
    lines = []
    if incident.started_at is not None and incident.detected_at is not None:
        span = incident.detected_at - incident.started_at
        lines.append(f"- Time to detect (impact began to detection): {_duration(span)}")
    if incident.detected_at is not None:
        span = incident.created_on - incident.detected_at
        lines.append(f"- Time to declare (detection to declaration): {_duration(span)}")
    return lines


def _histories(events: Sequence[RecordedEvent]) -> tuple[list[str], list[str]]:
    """The severity history and the roles' history (assignments and handovers)."""
    severities: list[str] = []
    roles: list[str] = []
    for recorded in events:
        event = recorded.event
        at = _time(event.timestamp)
        match event:
            case ev.Declared():
                severities.append(f"- {at}: declared as {event.severity or 'unclassified'}")
            case ev.SeverityChanged():
                start = event.from_severity or "unclassified"
                severities.append(
                    f"- {at}: {start} → {event.to_severity} by {event.actor}: "
                    f"{_inline(event.reason)}"
                )
            case ev.RoleAssigned():
                handover = f" (from {event.previous_holder})" if event.previous_holder else ""
                note = f": {_inline(event.note)}" if event.note else ""
                roles.append(f"- {at}: {event.role} → {event.assignee}{handover}{note}")
            case ev.RoleUnassigned():
                note = f": {_inline(event.note)}" if event.note else ""
                roles.append(
                    f"- {at}: {event.role} left empty ({event.previous_holder} stood down){note}"
                )
            case (
                ev.ImpactAssessed()
                | ev.TicketLinked()
                | ev.UpdatePosted()
                | ev.CustomerUpdateOverdue()
                | ev.Escalated()
                | ev.Resolved()
                | ev.Closed()
                | ev.Reopened()
                | ev.PostmortemStarted()
                | ev.RootCauseRecorded()
                | ev.ContributingFactorAdded()
                | ev.RecommendationAdded()
                | ev.FollowUpAdded()
                | ev.FollowUpCompleted()
                | ev.FollowUpReassigned()
                | ev.FollowUpDueDateChanged()
                | ev.PostmortemPublished()
                | ev.DetailsEdited()
                | ev.ImpactWindowSet()
                | ev.TimelineEntryAdded()
                | ev.IncidentLinked()
                | ev.ContributingFactorEdited()
                | ev.ContributingFactorWithdrawn()
                | ev.RecommendationEdited()
                | ev.RecommendationWithdrawn()
                | ev.FollowUpCancelled()
                | ev.PostmortemAmended()
                | ev.FollowUpOverdue()
                | ev.AlertAttached()
                | ev.AlertResolved()
                | ev.AlertsAllResolved()
                | ev.Paged()
                | ev.Acknowledged()
                | ev.PageEscalated()
                | ev.PagingExhausted()
            ):
                pass
            case _:
                assert_never(event)
    return severities, roles or ["- No roles assigned; the owner acted as Incident Commander."]


def _follow_ups(incident: Incident, today: date) -> list[str]:
    follow_ups = list(incident.review.follow_ups.values())
    if not follow_ups:
        reason = incident.review.no_follow_up_reason
        return [f"No follow-up needed: {_inline(reason)}" if reason else "None recorded."]
    lines = ["| Action | Owner | Due | State |", "|---|---|---|---|"]
    for f in follow_ups:
        if f.done:
            state = f"done {_time(f.completed_at)} by {f.completed_by}"
        elif f.cancelled:
            reason = _inline(f.cancel_reason or "")
            state = f"cancelled {_time(f.cancelled_at)} by {f.cancelled_by}: {reason}"
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


def _severity(current: str | None, peak: str | None) -> str:
    """The severity now, and the peak when it was higher: "P3 (peak P1)"."""
    shown = current or "unclassified"
    return shown if peak in (None, current) else f"{shown} (peak {peak})"
