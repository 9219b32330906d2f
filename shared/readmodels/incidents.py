"""The `incidents` read model: one row per incident, folded from its events by pure functions.

`fold_event(row, event)` is all the projector and a rebuild do per event (`project` is the
same for a frozen row), so both produce exactly the same rows; the SQL around it only loads
and stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final, assert_never
from uuid import UUID

from shared.domain import events as ev
from shared.domain.cadence import Cadence
from shared.domain.editing import EDITABLE
from shared.domain.events import ChangeEvent, event_name
from shared.domain.review import ReviewStatus
from shared.domain.rules import (
    acting_commander,
    customer_update_due,
    peak_severity,
    postmortem_required,
    restarts_cadence,
    review_pending,
)
from shared.domain.values import Audience, Role, Status
from shared.eventstore.store import RecordedEvent


@dataclass(frozen=True)
class IncidentRow:
    """Everything a dashboard lists and filters on, for one incident."""

    id: UUID
    number: int
    title: str
    description: str | None
    status: str
    severity: str | None
    criteria: list[str]
    services: list[str]
    owner: str
    declared_by: str
    declared_at: datetime
    updated_at: datetime
    version: int
    position: int
    roles: dict[str, str] = field(default_factory=dict)
    tickets: list[dict[str, str | None]] = field(default_factory=list)
    impact: str | None = None
    scope: str | None = None
    resolution: str | None = None
    resolution_summary: str | None = None
    ic_assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    last_customer_update_at: datetime | None = None
    # Start of the current customer-update interval: the declaration, then `restarts_cadence`.
    cadence_started_at: datetime | None = None
    next_customer_update_due: datetime | None = None
    customer_update_intervals: int = 0
    customer_update_intervals_met: int = 0
    postmortem_status: str = "none"
    postmortem_required: bool = False
    review_pending: bool = False
    factor_categories: list[str] = field(default_factory=list)
    # The highest severity ever set; the review rules follow it (`postmortem_required`).
    peak_severity: str | None = None
    # When the impact began and when someone noticed it, as declared or set later.
    started_at: datetime | None = None
    detected_at: datetime | None = None
    # Links to other incidents, both directions (IncidentLinked).
    links: list[dict[str, str]] = field(default_factory=list)
    # The review's contributing factors by number ({id, category, withdrawn}), so that
    # `factor_categories` follows an edit or a withdrawal (issue 11).
    factors: list[dict[str, Any]] = field(default_factory=list)
    # Paging (issue 12): the first page, and the acknowledgement that stopped paging.
    paged_at: datetime | None = None
    acknowledged_at: datetime | None = None
    # Shift handovers (issue 12): {role, from, to, due_at, done_at}, done by the next
    # assignment of the role.
    handovers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """INC-<number>."""
        return f"INC-{self.number}"

    @property
    def acting_commander(self) -> str:
        """The named IC, or the owner until one is assigned."""
        return acting_commander(self.roles, self.owner)


Changes = dict[str, Any]
"""Fields of an IncidentRow to replace."""

WorkingRow = dict[str, Any]
"""An IncidentRow's fields by name, changed in place while a fold runs."""

_ROW_FIELDS: Final = tuple(f.name for f in fields(IncidentRow))


class ProjectionError(Exception):
    """An event arrived that cannot follow the row's state (e.g. before its Declared)."""


def project(row: IncidentRow | None, recorded: RecordedEvent, cadence: Cadence) -> IncidentRow:
    """The row after one more event (events that change none of its fields only advance
    version and position)."""
    working = working_row(row) if row is not None else None
    return IncidentRow(**fold_event(working, recorded, cadence))


def working_row(row: IncidentRow) -> WorkingRow:
    """A row's fields, to fold more events into with `fold_event`."""
    return {name: getattr(row, name) for name in _ROW_FIELDS}


def fold_event(row: WorkingRow | None, recorded: RecordedEvent, cadence: Cadence) -> WorkingRow:
    """Apply one more event to a working row in place and return it (a Declared starts a new
    one); `IncidentRow(**row)` is the frozen row afterwards."""
    # A replay folds every event of the log through here: changing a dict in place and
    # freezing each row once at the end is several times cheaper than a new frozen 33-field
    # row per event, which was most of a rebuild's time.
    event = recorded.event
    at: datetime = event.timestamp
    if type(event) is ev.Declared:
        row = working_row(_declared(recorded, event))
    elif row is None:
        raise ProjectionError(
            f"{event_name(event)} of {recorded.originator_id} arrived before Declared"
        )
    else:
        changes = _changes(row, event)
        if changes:
            row.update(changes)
        if restarts_cadence(event):
            row["cadence_started_at"] = at
        row["version"] = recorded.version
        row["position"] = recorded.position
        row["updated_at"] = at
    _derive(row, cadence)
    return row


def _declared(recorded: RecordedEvent, event: ev.Declared) -> IncidentRow:
    at = event.timestamp
    return IncidentRow(
        id=recorded.originator_id,
        number=event.number,
        title=event.title,
        description=event.description,
        status=Status.OPEN.value,
        severity=event.severity,
        peak_severity=event.severity,
        criteria=list(event.criteria),
        services=list(event.services),
        owner=event.owner,
        declared_by=event.actor or event.owner,
        declared_at=at,
        updated_at=at,
        version=recorded.version,
        position=recorded.position,
        cadence_started_at=at,
        started_at=event.started_at,
        detected_at=event.detected_at,
    )


def _changes(row: WorkingRow, event: ChangeEvent) -> Changes:
    """The fields an event after Declared changes, from the row before it.

    The changes are new lists and dicts rather than changes to the ones read: a working row
    shares them with the frozen row it was made from.
    """
    at = event.timestamp
    match event:  # the most frequent first: see shared/domain/events.py
        case ev.UpdatePosted():
            return _update_posted(row, event)
        case ev.RoleAssigned():
            first_ic = event.role == Role.INCIDENT_COMMANDER.value and row["ic_assigned_at"] is None
            return {
                "roles": {**row["roles"], event.role: event.assignee},
                "ic_assigned_at": at if first_ic else row["ic_assigned_at"],
                **_handed_over(row, event.role, at),
            }
        case ev.SeverityChanged():
            return {
                "severity": event.to_severity,
                "peak_severity": peak_severity(row["peak_severity"], event.to_severity),
            }
        case ev.ImpactAssessed():
            return {"impact": event.impact, "scope": event.scope}
        case ev.DetailsEdited():
            return {
                name: list(value) if isinstance(value, list) else value
                for name, value in event.after.items()
                if name in _EDITABLE
            }
        case ev.RoleUnassigned():
            return {"roles": {r: h for r, h in row["roles"].items() if r != event.role}}
        case (
            ev.Escalated()
            | ev.CustomerUpdateOverdue()
            | ev.RootCauseRecorded()
            | ev.RecommendationAdded()
            | ev.FollowUpAdded()
            | ev.FollowUpCompleted()
            | ev.FollowUpReassigned()
            | ev.FollowUpDueDateChanged()
            | ev.TimelineEntryAdded()
            | ev.RecommendationEdited()
            | ev.RecommendationWithdrawn()
            | ev.FollowUpCancelled()
            | ev.FollowUpOverdue()
            | ev.AlertAttached()
            | ev.AlertResolved()
            | ev.AlertsAllResolved()
            | ev.PageEscalated()
            | ev.PagingExhausted()
        ):
            return _NO_CHANGES
        case ev.Paged():
            return {} if row["paged_at"] is not None else {"paged_at": at}
        case ev.Acknowledged():
            owner = {"owner": event.actor} if event.took_ownership else {}
            return {"acknowledged_at": at, **owner}
        case ev.HandoverDue():
            handover = {
                "role": event.role,
                "from": event.from_person,
                "to": event.to_person,
                "due_at": at.isoformat(),
                "done_at": None,
            }
            return {"handovers": [*row["handovers"], handover]}
        case ev.ImpactWindowSet():
            return {"started_at": event.started_at, "detected_at": event.detected_at}
        case ev.IncidentLinked():
            link = {
                "other_id": str(event.other_id),
                "other_reference": event.other_reference,
                "relation": event.relation,
                "direction": event.direction,
            }
            return {"links": [*row["links"], link]}
        case ev.TicketLinked():
            ticket = {"system": event.system, "key": event.key, "url": event.url}
            return {"tickets": [*row["tickets"], ticket]}
        case ev.Resolved():
            return {
                "status": Status.RESOLVED.value,
                "resolution": event.resolution,
                "resolution_summary": event.summary,
                "resolved_at": at,
            }
        case ev.Reopened():
            return {
                "status": Status.OPEN.value,
                "resolution": None,
                "resolution_summary": None,
                "resolved_at": None,
                "reopen_count": row["reopen_count"] + 1,
                **({"closed_at": None} if event.was_closed else {}),
            }
        case ev.Closed():
            return {"status": Status.CLOSED.value, "closed_at": at}
        case ev.PostmortemStarted():
            return {"postmortem_status": ReviewStatus.STARTED.value}
        case ev.PostmortemPublished():
            return {"postmortem_status": ReviewStatus.PUBLISHED.value}
        case ev.ContributingFactorAdded():
            factor = {"id": str(len(row["factors"]) + 1), "category": event.category}
            return _with_factors([*row["factors"], {**factor, "withdrawn": False}])
        case ev.ContributingFactorEdited():
            return _with_factors(
                [
                    {**f, "category": event.category} if f["id"] == event.factor_id else f
                    for f in row["factors"]
                ]
            )
        case ev.ContributingFactorWithdrawn():
            return _with_factors(
                [
                    {**f, "withdrawn": True} if f["id"] == event.factor_id else f
                    for f in row["factors"]
                ]
            )
        case ev.PostmortemAmended():
            return {"postmortem_status": ReviewStatus.STARTED.value}
        case _:
            assert_never(event)


_NO_CHANGES: Final[Changes] = {}
_EDITABLE: Final = frozenset(EDITABLE)


def _handed_over(row: WorkingRow, role: str, at: datetime) -> Changes:
    """A role assignment completes the handovers of that role still due."""
    if not any(h["role"] == role and h["done_at"] is None for h in row["handovers"]):
        return _NO_CHANGES
    done = at.isoformat()
    return {
        "handovers": [
            {**h, "done_at": done} if h["role"] == role and h["done_at"] is None else h
            for h in row["handovers"]
        ]
    }


def _with_factors(factors: list[dict[str, Any]]) -> Changes:
    """The factors and the categories of those not withdrawn."""
    categories = sorted({f["category"] for f in factors if not f["withdrawn"]})
    return {"factors": factors, "factor_categories": categories}


def _update_posted(row: WorkingRow, event: ev.UpdatePosted) -> Changes:
    if event.audience != Audience.CUSTOMER.value:
        return _NO_CHANGES
    at = event.timestamp
    intervals, met = row["customer_update_intervals"], row["customer_update_intervals_met"]
    # Only updates on an open, classified incident close a cadence interval.
    if row["status"] == Status.OPEN.value and row["next_customer_update_due"] is not None:
        intervals += 1
        met += 1 if at <= row["next_customer_update_due"] else 0
    return {
        "last_customer_update_at": at,
        "customer_update_intervals": intervals,
        "customer_update_intervals_met": met,
    }


def _derive(row: WorkingRow, cadence: Cadence) -> None:
    """Set what follows from the rest of the row: when the next customer update is due, and
    whether a review is required and pending."""
    severity = row["severity"]
    row["next_customer_update_due"] = customer_update_due(
        status=row["status"], severity=severity, since=row["cadence_started_at"], cadence=cadence
    )
    row["postmortem_required"] = postmortem_required(row["peak_severity"], row["resolution"])
    row["review_pending"] = review_pending(
        row["peak_severity"], row["resolution"], row["postmortem_status"]
    )
