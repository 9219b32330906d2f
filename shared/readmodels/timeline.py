"""The `timeline` read model: one row per event, with a one-line summary a person can read.

An entry added later (`TimelineEntryAdded`: something that happened outside the tool) is told
at the moment it happened, not when it was recorded: its row's `occurred_at` is that moment
and `added_at` the recording's. `in_time_order` puts such entries where they belong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, assert_never
from uuid import UUID

from shared.domain import events as ev
from shared.domain.events import IncidentEvent, event_data, event_name
from shared.domain.values import Audience, UpdateKind
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
    # Set only on an entry added later: when it was recorded (`occurred_at` is when it happened).
    added_at: datetime | None = None

    @property
    def added_later(self) -> bool:
        """Whether the entry tells of an earlier moment than it was recorded at."""
        return self.added_at is not None


def in_time_order(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """Entries in version order, with those added later moved to their `occurred_at`.

    The others keep their order exactly (even were a clock to step back); an entry added later
    goes before the first of them that happened after it, and after any at the same moment.
    """
    recorded: list[TimelineEntry] = []
    added: list[TimelineEntry] = []
    for entry in entries:
        (added if entry.added_at is not None else recorded).append(entry)
    if not added:
        return recorded
    added.sort(key=lambda e: (e.occurred_at, e.version))
    merged: list[TimelineEntry] = []
    waiting = iter(added)
    pending = next(waiting, None)
    for entry in recorded:
        while pending is not None and pending.occurred_at < entry.occurred_at:
            merged.append(pending)
            pending = next(waiting, None)
        merged.append(entry)
    if pending is not None:
        merged.append(pending)
        merged.extend(waiting)
    return merged


def timeline_entry(
    recorded: RecordedEvent, *, follow_up_titles: Mapping[str, str] | None = None
) -> TimelineEntry:
    """The timeline row of a recorded event.

    With `follow_up_titles` (id to title, as the incident's review knows them) a row names a
    follow-up by its title; without (the projector folds one event at a time), by its short id.
    """
    event = recorded.event
    data = event_data(event)
    summary = _summary(event.actor or "someone", event, follow_up_titles or {})
    if data.get("break_glass"):
        summary += " (admin, acting as IC)"
    if type(event) is ev.TimelineEntryAdded:
        return TimelineEntry(
            incident_id=recorded.originator_id,
            version=recorded.version,
            position=recorded.position,
            occurred_at=event.occurred_at,
            actor=event.actor,
            type=event_name(event),
            summary=summary,
            data=data,
            added_at=event.timestamp,
        )
    return TimelineEntry(
        incident_id=recorded.originator_id,
        version=recorded.version,
        position=recorded.position,
        occurred_at=event.timestamp,
        actor=event.actor,
        type=event_name(event),
        summary=summary,
        data=data,
    )


def _summary(who: str, event: IncidentEvent, titles: Mapping[str, str]) -> str:
    """One line a person can read: who did what."""
    match event:  # the most frequent first: see shared/domain/events.py
        case ev.UpdatePosted():
            if event.kind == UpdateKind.FINAL.value:
                return f"{who} posted a final customer notice: {_clip(event.body)}"
            article = "an" if event.audience == Audience.INTERNAL.value else "a"
            return f"{who} posted {article} {event.audience} update: {_clip(event.body)}"
        case ev.RoleAssigned():
            if event.previous_holder:
                text = f"{who} handed {event.role} from {event.previous_holder} to {event.assignee}"
            else:
                text = f"{who} assigned {event.role} to {event.assignee}"
            return _with_reason(text, event.note)
        case ev.SeverityChanged():
            start = event.from_severity or "unclassified"
            return _with_reason(
                f"{who} changed severity {start} → {event.to_severity}", event.reason
            )
        case ev.ImpactAssessed():
            return f"{who} assessed impact: {_clip(event.impact)}; scope: {_clip(event.scope)}"
        case ev.TicketLinked():
            return f"{who} linked ticket {event.system} {event.key}"
        case ev.Escalated():
            return _with_reason(f"{who} escalated to {event.target}", event.reason)
        case ev.Declared():
            severity = f" {event.severity}" if event.severity else ""
            owner = f", owner {event.owner}" if event.owner != who else ""
            return f"{who} declared INC-{event.number}{severity}: {_clip(event.title)}{owner}"
        case ev.Resolved():
            of = f" of {event.duplicate_of_reference}" if event.duplicate_of_reference else ""
            return _with_reason(f"{who} resolved ({event.resolution}{of})", event.summary)
        case ev.Closed():
            return f"{who} confirmed the resolution and closed the incident"
        case ev.Reopened():
            closed = " closed" if event.was_closed else ""
            return _with_reason(f"{who} reopened the{closed} incident", event.reason)
        case ev.DetailsEdited():
            return f"{who} edited the {_and(list(event.after))}"
        case ev.RoleUnassigned():
            text = f"{who} stood {event.previous_holder} down as {event.role}"
            return _with_reason(text, event.note)
        case ev.CustomerUpdateOverdue():
            missed = event.missed_intervals
            intervals = "interval" if missed == 1 else "intervals"
            chase = [p for p in (event.update_owner, event.incident_commander) if p]
            return (
                f"customer update overdue ({event.severity} cadence): {missed} {intervals} "
                "without a customer update"
                + (f"; chase {_and(list(dict.fromkeys(chase)))}" if chase else "")
            )
        case ev.PostmortemStarted():
            return f"{who} started the post-incident review, facilitated by {event.facilitator}"
        case ev.RootCauseRecorded():
            return f"{who} recorded the root cause: {_clip(event.text)}"
        case ev.ContributingFactorAdded():
            return f"{who} added a contributing factor ({event.category}): {_clip(event.text)}"
        case ev.RecommendationAdded():
            return f"{who} recommended: {_clip(event.text)}"
        case ev.FollowUpAdded():
            return (
                f"{who} added follow-up {_clip(event.title)!r} for {event.owner}, "
                f"due {event.due_date}"
            )
        case ev.FollowUpCompleted():
            return _with_reason(
                f"{who} completed follow-up {_follow_up(event.follow_up_id, titles)}", event.note
            )
        case ev.FollowUpReassigned():
            return (
                f"{who} reassigned follow-up {_follow_up(event.follow_up_id, titles)} "
                f"from {event.previous_owner} to {event.owner}"
            )
        case ev.FollowUpDueDateChanged():
            text = (
                f"{who} moved follow-up {_follow_up(event.follow_up_id, titles)} "
                f"from {event.previous_due_date} to {event.due_date}"
            )
            return _with_reason(text, event.reason)
        case ev.PostmortemPublished():
            return f"{who} published the post-incident review"
        case ev.ImpactWindowSet():
            return f"{who} set the impact window: {_window(event)}"
        case ev.TimelineEntryAdded():
            added = event.timestamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            return f"{_clip(event.text)} (added later by {who}, {added} UTC)"
        case ev.ContributingFactorEdited():
            return (
                f"{who} corrected contributing factor {event.factor_id} "
                f"({event.category}): {_clip(event.text)}"
            )
        case ev.ContributingFactorWithdrawn():
            text = f"{who} withdrew contributing factor {event.factor_id}: {_clip(event.text)}"
            return _with_reason(text, event.reason)
        case ev.RecommendationEdited():
            return f"{who} corrected recommendation {event.recommendation_id}: {_clip(event.text)}"
        case ev.RecommendationWithdrawn():
            text = f"{who} withdrew recommendation {event.recommendation_id}: {_clip(event.text)}"
            return _with_reason(text, event.reason)
        case ev.FollowUpCancelled():
            return _with_reason(
                f"{who} cancelled follow-up {_follow_up(event.follow_up_id, titles)}", event.reason
            )
        case ev.FollowUpOverdue():
            return (
                f"follow-up {_clip(event.title)!r} is overdue (due {event.due_date}); "
                f"owner {event.owner}"
            )
        case ev.PostmortemAmended():
            return _with_reason(f"{who} amended the published post-incident review", event.reason)
        case ev.IncidentLinked():
            relation = RELATION_TEXT.get(event.relation, event.relation)
            if event.direction == "to":
                return f"{who} linked this incident: {relation} {event.other_reference}"
            return f"{who} linked {event.other_reference}: {relation} this incident"
        case ev.AlertAttached():
            about = f": {_clip(event.summary)}" if event.summary else ""
            return f"alert {event.alertname} firing ({_short(event.fingerprint)}){about}"
        case ev.AlertResolved():
            return f"alert {event.alertname} resolved ({_short(event.fingerprint)})"
        case ev.Paged():
            return (
                f"paged {event.person} (level {event.level}, round {event.round}): "
                f"{_clip(event.reason)}"
            )
        case ev.Acknowledged():
            took = f", taking ownership from {event.previous_owner}" if event.took_ownership else ""
            return f"{who} acknowledged the page (level {event.level}){took}"
        case ev.PageEscalated():
            return _with_reason(
                f"page escalated from level {event.from_level} to level {event.to_level}",
                event.reason,
            )
        case ev.PagingExhausted():
            return _with_reason(
                f"paging stopped after {event.rounds} round" + ("" if event.rounds == 1 else "s"),
                event.reason,
            )
        case ev.HandoverDue():
            at = event.shift_start.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            return (
                f"handover due: {event.from_person} went off call at {at} UTC; "
                f"{event.role} passes to {event.to_person}"
            )
        case ev.AlertsAllResolved():
            count = f"all {event.alerts} alerts" if event.alerts != 1 else "the alert"
            return f"{count} of this incident resolved; the IC decides whether to resolve it"
        case _:
            assert_never(event)


def _and(names: list[str]) -> str:
    """`title`, `title and services`, `title, description and services`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _clip(text: str) -> str:
    stripped = text.strip()
    lines = stripped.splitlines()
    first_line = lines[0] if lines else ""
    if len(first_line) > SUMMARY_MAX_CHARS or first_line != stripped:
        return first_line[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
    return first_line


def _with_reason(text: str, reason: str | None) -> str:
    return f"{text}: {_clip(reason)}" if reason else text


def _short(identifier: str) -> str:
    return str(identifier)[:8]


def _follow_up(follow_up_id: str, titles: Mapping[str, str]) -> str:
    """A follow-up as a row names it: its title when known (as `FollowUpAdded` shows it),
    else its short id."""
    title = titles.get(follow_up_id)
    return _short(follow_up_id) if title is None else repr(_clip(title))


RELATION_TEXT: Final = {
    "related": "related to",
    "caused_by": "caused by",
    "duplicate_of": "a duplicate of",
}
"""How a link's relation reads in a sentence ("caused by INC-7")."""


def _window(event: ev.ImpactWindowSet) -> str:
    """`started 03:00:00, detected 03:05:00` (UTC), each where known."""
    parts = [
        f"{name} {moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC"
        for name, moment in (("started", event.started_at), ("detected", event.detected_at))
        if moment is not None
    ]
    return ", ".join(parts)
