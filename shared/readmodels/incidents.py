"""The `incidents` read model: one row per incident, folded from its events by pure functions.

`project(row, event)` is all the projector and a rebuild do per event, so both produce exactly
the same rows; the SQL around it only loads and stores them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.cadence import Cadence
from shared.domain.events import event_actor, event_data, event_name
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
    # Start of the current customer-update interval: declaration, last customer update, reopen.
    cadence_started_at: datetime | None = None
    next_customer_update_due: datetime | None = None
    customer_update_intervals: int = 0
    customer_update_intervals_met: int = 0
    postmortem_status: str = "none"
    postmortem_required: bool = False
    review_pending: bool = False
    factor_categories: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """INC-<number>."""
        return f"INC-{self.number}"

    @property
    def acting_commander(self) -> str:
        """The named IC, or the owner until one is assigned."""
        return self.roles.get(Role.INCIDENT_COMMANDER.value, self.owner)


Changes = dict[str, Any]
"""Fields of an IncidentRow to replace."""


class ProjectionError(Exception):
    """An event arrived that cannot follow the row's state (e.g. before its Declared)."""


def project(row: IncidentRow | None, recorded: RecordedEvent, cadence: Cadence) -> IncidentRow:
    """The row after one more event; events of unknown types only advance version/position."""
    name = event_name(recorded.event)
    data = event_data(recorded.event)
    at: datetime = recorded.event.timestamp
    if name == "Declared":
        declared = _declared(recorded, data, at)
        return replace(declared, **_derived(declared, {}, cadence))
    if row is None:
        raise ProjectionError(f"{name} of {recorded.originator_id} arrived before Declared")
    apply = _HANDLERS.get(name)
    # Handlers return changes, and the row is copied once per event: the rebuild folds every
    # event of the log through here, and copying a 33-field row was most of its time.
    changes = apply(row, data, at) if apply is not None else {}
    changes.update(version=recorded.version, position=recorded.position, updated_at=at)
    changes.update(_derived(row, changes, cadence))
    return replace(row, **changes)


def _declared(recorded: RecordedEvent, data: dict[str, Any], at: datetime) -> IncidentRow:
    return IncidentRow(
        id=recorded.originator_id,
        number=int(data["number"]),
        title=data["title"],
        description=data.get("description"),
        status=Status.OPEN.value,
        severity=data.get("severity"),
        criteria=list(data["criteria"]),
        services=list(data.get("services") or []),
        owner=data["owner"],
        declared_by=event_actor(recorded.event) or data["owner"],
        declared_at=at,
        updated_at=at,
        version=recorded.version,
        position=recorded.position,
        cadence_started_at=at,
    )


def _role_assigned(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    first_ic = data["role"] == Role.INCIDENT_COMMANDER.value and row.ic_assigned_at is None
    return dict(
        roles={**row.roles, data["role"]: data["assignee"]},
        ic_assigned_at=at if first_ic else row.ic_assigned_at,
    )


def _severity_changed(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(severity=data["to_severity"])


def _impact_assessed(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(impact=data["impact"], scope=data["scope"])


def _ticket_linked(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    ticket = {"system": data["system"], "key": data["key"], "url": data.get("url")}
    return dict(tickets=[*row.tickets, ticket])


def _update_posted(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    if data["audience"] != Audience.CUSTOMER.value:
        return {}
    intervals, met = row.customer_update_intervals, row.customer_update_intervals_met
    # Only updates on an open, classified incident close a cadence interval.
    if row.status == Status.OPEN.value and row.next_customer_update_due is not None:
        intervals += 1
        met += 1 if at <= row.next_customer_update_due else 0
    return dict(
        last_customer_update_at=at,
        cadence_started_at=at,
        customer_update_intervals=intervals,
        customer_update_intervals_met=met,
    )


def _resolved(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(
        status=Status.RESOLVED.value,
        resolution=data["resolution"],
        resolution_summary=data["summary"],
        resolved_at=at,
    )


def _closed(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(status=Status.CLOSED.value, closed_at=at)


def _reopened(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(
        status=Status.OPEN.value,
        resolution=None,
        resolution_summary=None,
        resolved_at=None,
        reopen_count=row.reopen_count + 1,
        cadence_started_at=at,
    )


def _derived(row: IncidentRow, changes: Changes, cadence: Cadence) -> Changes:
    """What follows from the row after `changes`: when the next customer update is due (open
    and classified incidents only), and whether a review is required and pending (P1 and P2
    need one until it is published: seed section 9)."""

    def now(field: str) -> Any:
        return changes[field] if field in changes else getattr(row, field)

    status, severity, started = now("status"), now("severity"), now("cadence_started_at")
    due = None
    if status == Status.OPEN.value and severity in cadence and started is not None:
        due = started + cadence[severity]
    required = severity in ("P1", "P2")
    return {
        "next_customer_update_due": due,
        "postmortem_required": required,
        "review_pending": required and now("postmortem_status") != "published",
    }


def _postmortem_started(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(postmortem_status="started")


def _postmortem_published(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(postmortem_status="published")


def _factor_added(row: IncidentRow, data: dict[str, Any], at: datetime) -> Changes:
    categories = sorted({*row.factor_categories, data["category"]})
    return dict(factor_categories=categories)


_HANDLERS: dict[str, Callable[[IncidentRow, dict[str, Any], datetime], Changes]] = {
    "RoleAssigned": _role_assigned,
    "SeverityChanged": _severity_changed,
    "ImpactAssessed": _impact_assessed,
    "TicketLinked": _ticket_linked,
    "UpdatePosted": _update_posted,
    "Resolved": _resolved,
    "Closed": _closed,
    "Reopened": _reopened,
    "PostmortemStarted": _postmortem_started,
    "PostmortemPublished": _postmortem_published,
    "ContributingFactorAdded": _factor_added,
}
