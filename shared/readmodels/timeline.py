"""The `timeline` read model: one row per event, with a one-line summary a person can read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.domain.events import event_actor, event_data, event_name
from shared.eventstore.store import RecordedEvent

SUMMARY_MAX_CHARS = 160


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of an incident, as the post-mortem will tell it."""

    incident_id: UUID
    version: int
    position: int
    occurred_at: datetime
    actor: str | None
    type: str
    summary: str
    data: dict[str, Any]


def timeline_entry(recorded: RecordedEvent) -> TimelineEntry:
    """The timeline row of a recorded event."""
    event = recorded.event
    name = event_name(event)
    data = event_data(event)
    actor = event_actor(event)
    who = actor or "someone"
    describe = _SUMMARIES.get(name)
    summary = describe(who, data) if describe else f"{who}: {name}"
    if data.get("break_glass"):
        summary += " (admin, acting as IC)"
    return TimelineEntry(
        incident_id=recorded.originator_id,
        version=recorded.version,
        position=recorded.position,
        occurred_at=event.timestamp,
        actor=actor,
        type=name,
        summary=summary,
        data=data,
    )


def _clip(text: str) -> str:
    stripped = text.strip()
    lines = stripped.splitlines()
    first_line = lines[0] if lines else ""
    if len(first_line) > SUMMARY_MAX_CHARS or first_line != stripped:
        return first_line[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
    return first_line


def _with_reason(text: str, reason: str | None) -> str:
    return f"{text}: {_clip(reason)}" if reason else text


def _declared(actor: str, d: dict[str, Any]) -> str:
    severity = f" {d['severity']}" if d.get("severity") else ""
    owner = f", owner {d['owner']}" if d.get("owner") != actor else ""
    return f"{actor} declared INC-{d['number']}{severity}: {_clip(d['title'])}{owner}"


def _role_assigned(actor: str, d: dict[str, Any]) -> str:
    if d.get("previous_holder"):
        text = f"{actor} handed {d['role']} from {d['previous_holder']} to {d['assignee']}"
    else:
        text = f"{actor} assigned {d['role']} to {d['assignee']}"
    return _with_reason(text, d.get("note"))


def _severity_changed(actor: str, d: dict[str, Any]) -> str:
    start = d.get("from_severity") or "unclassified"
    return _with_reason(f"{actor} changed severity {start} → {d['to_severity']}", d["reason"])


def _impact_assessed(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} assessed impact: {_clip(d['impact'])}; scope: {_clip(d['scope'])}"


def _ticket_linked(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} linked ticket {d['system']} {d['key']}"


def _update_posted(actor: str, d: dict[str, Any]) -> str:
    article = "an" if d["audience"] == "internal" else "a"
    return f"{actor} posted {article} {d['audience']} update: {_clip(d['body'])}"


def _escalated(actor: str, d: dict[str, Any]) -> str:
    return _with_reason(f"{actor} escalated to {d['target']}", d["reason"])


def _resolved(actor: str, d: dict[str, Any]) -> str:
    return _with_reason(f"{actor} resolved ({d['resolution']})", d["summary"])


def _closed(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} confirmed the resolution and closed the incident"


def _reopened(actor: str, d: dict[str, Any]) -> str:
    return _with_reason(f"{actor} reopened the incident", d["reason"])


def _customer_update_overdue(actor: str, d: dict[str, Any]) -> str:
    missed = d["missed_intervals"]
    intervals = "interval" if missed == 1 else "intervals"
    return (
        f"customer update overdue ({d['severity']} cadence): {missed} {intervals} "
        "without a customer update"
    )


def _postmortem_started(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} started the post-incident review, facilitated by {d['facilitator']}"


def _root_cause_recorded(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} recorded the root cause: {_clip(d['text'])}"


def _factor_added(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} added a contributing factor ({d['category']}): {_clip(d['text'])}"


def _recommendation_added(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} recommended: {_clip(d['text'])}"


def _follow_up_added(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} added follow-up {_clip(d['title'])!r} for {d['owner']}, due {d['due_date']}"


def _follow_up_completed(actor: str, d: dict[str, Any]) -> str:
    return _with_reason(f"{actor} completed follow-up {_short(d['follow_up_id'])}", d.get("note"))


def _follow_up_reassigned(actor: str, d: dict[str, Any]) -> str:
    return (
        f"{actor} reassigned follow-up {_short(d['follow_up_id'])} "
        f"from {d['previous_owner']} to {d['owner']}"
    )


def _follow_up_due_date_changed(actor: str, d: dict[str, Any]) -> str:
    text = (
        f"{actor} moved follow-up {_short(d['follow_up_id'])} "
        f"from {d['previous_due_date']} to {d['due_date']}"
    )
    return _with_reason(text, d["reason"])


def _postmortem_published(actor: str, d: dict[str, Any]) -> str:
    return f"{actor} published the post-incident review"


def _short(identifier: str) -> str:
    return str(identifier)[:8]


_SUMMARIES: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "Declared": _declared,
    "RoleAssigned": _role_assigned,
    "SeverityChanged": _severity_changed,
    "ImpactAssessed": _impact_assessed,
    "TicketLinked": _ticket_linked,
    "UpdatePosted": _update_posted,
    "Escalated": _escalated,
    "Resolved": _resolved,
    "Closed": _closed,
    "Reopened": _reopened,
    "CustomerUpdateOverdue": _customer_update_overdue,
    "PostmortemStarted": _postmortem_started,
    "RootCauseRecorded": _root_cause_recorded,
    "ContributingFactorAdded": _factor_added,
    "RecommendationAdded": _recommendation_added,
    "FollowUpAdded": _follow_up_added,
    "FollowUpCompleted": _follow_up_completed,
    "FollowUpReassigned": _follow_up_reassigned,
    "FollowUpDueDateChanged": _follow_up_due_date_changed,
    "PostmortemPublished": _postmortem_published,
}
