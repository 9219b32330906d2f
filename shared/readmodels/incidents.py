"""The `incidents` read model: one row per incident, folded from its events by pure functions.

`fold_event(row, event)` is all the projector and a rebuild do per event (`project` is the
same for a frozen row), so both produce exactly the same rows; the SQL around it only loads
and stores them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final
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

WorkingRow = dict[str, Any]
"""An IncidentRow's fields by name, changed in place while a fold runs."""

_ROW_FIELDS: Final = tuple(f.name for f in fields(IncidentRow))


class ProjectionError(Exception):
    """An event arrived that cannot follow the row's state (e.g. before its Declared)."""


def project(row: IncidentRow | None, recorded: RecordedEvent, cadence: Cadence) -> IncidentRow:
    """The row after one more event; events of unknown types only advance version/position."""
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
    name = event_name(event)
    at: datetime = event.timestamp
    if name == "Declared":
        row = working_row(_declared(recorded, event_data(event), at))
    elif row is None:
        raise ProjectionError(f"{name} of {recorded.originator_id} arrived before Declared")
    else:
        apply = _HANDLERS.get(name)
        if apply is not None:
            row.update(apply(row, event_data(event), at))
        row["version"] = recorded.version
        row["position"] = recorded.position
        row["updated_at"] = at
    _derive(row, cadence)
    return row


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


# Handlers return new lists and dicts rather than changing the ones they read: a working row
# shares them with the frozen row it was made from.


def _role_assigned(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    first_ic = data["role"] == Role.INCIDENT_COMMANDER.value and row["ic_assigned_at"] is None
    return dict(
        roles={**row["roles"], data["role"]: data["assignee"]},
        ic_assigned_at=at if first_ic else row["ic_assigned_at"],
    )


def _severity_changed(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(severity=data["to_severity"])


def _impact_assessed(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(impact=data["impact"], scope=data["scope"])


def _ticket_linked(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    ticket = {"system": data["system"], "key": data["key"], "url": data.get("url")}
    return dict(tickets=[*row["tickets"], ticket])


def _update_posted(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    if data["audience"] != Audience.CUSTOMER.value:
        return {}
    intervals, met = row["customer_update_intervals"], row["customer_update_intervals_met"]
    # Only updates on an open, classified incident close a cadence interval.
    if row["status"] == Status.OPEN.value and row["next_customer_update_due"] is not None:
        intervals += 1
        met += 1 if at <= row["next_customer_update_due"] else 0
    return dict(
        last_customer_update_at=at,
        cadence_started_at=at,
        customer_update_intervals=intervals,
        customer_update_intervals_met=met,
    )


def _resolved(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(
        status=Status.RESOLVED.value,
        resolution=data["resolution"],
        resolution_summary=data["summary"],
        resolved_at=at,
    )


def _closed(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(status=Status.CLOSED.value, closed_at=at)


def _reopened(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(
        status=Status.OPEN.value,
        resolution=None,
        resolution_summary=None,
        resolved_at=None,
        reopen_count=row["reopen_count"] + 1,
        cadence_started_at=at,
    )


def _derive(row: WorkingRow, cadence: Cadence) -> None:
    """Set what follows from the rest of the row: when the next customer update is due (open
    and classified incidents only), and whether a review is required and pending (P1 and P2
    need one until it is published: seed section 9)."""
    severity, started = row["severity"], row["cadence_started_at"]
    due = None
    if row["status"] == Status.OPEN.value and severity in cadence and started is not None:
        due = started + cadence[severity]
    required = severity in ("P1", "P2")
    row["next_customer_update_due"] = due
    row["postmortem_required"] = required
    row["review_pending"] = required and row["postmortem_status"] != "published"


def _postmortem_started(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(postmortem_status="started")


def _postmortem_published(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    return dict(postmortem_status="published")


def _factor_added(row: WorkingRow, data: dict[str, Any], at: datetime) -> Changes:
    categories = sorted({*row["factor_categories"], data["category"]})
    return dict(factor_categories=categories)


_HANDLERS: dict[str, Callable[[WorkingRow, dict[str, Any], datetime], Changes]] = {
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
