"""Listing and reading incidents from the `rm_incidents` read model, with keyset pagination."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import asyncpg
import orjson

from services.incident_api.problems import ProblemError
from shared.readmodels.ddl import INCIDENTS
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.tables import INCIDENT_COLUMNS, incident_from_record

# Each sort key is an SQL expression that is never NULL, so keyset comparison is total.
SORT_KEYS: Final[dict[str, str]] = {
    "declared_at": "declared_at",
    "updated_at": "updated_at",
    "number": "number",
    "severity": "coalesce(severity, 'P9')",
}
DEFAULT_SORT: Final = "-declared_at"
# The Python type of each sort key's value, so a tampered cursor is refused, not sent to SQL.
_CURSOR_TYPES: Final[dict[str, type]] = {
    "declared_at": datetime,
    "updated_at": datetime,
    "number": int,
    "severity": str,
}
_BIGINT_LIMIT: Final = 2**63


@dataclass(frozen=True)
class IncidentFilter:
    """What to list; every field narrows the result, None means no condition."""

    status: str | None = None
    severity: str | None = None
    owner: str | None = None
    role_holder: str | None = None
    service: str | None = None
    declared_since: datetime | None = None
    declared_until: datetime | None = None
    update_overdue: bool | None = None
    review_pending: bool | None = None
    q: str | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """SQL conditions and their arguments ($1… in order)."""
        conditions: list[str] = []
        args: list[Any] = []

        def add(sql: str, value: Any) -> None:
            args.append(value)
            conditions.append(sql.replace("$?", f"${len(args)}"))

        if self.status is not None:
            add("status = $?", self.status)
        if self.severity is not None:
            add("severity = $?", self.severity)
        if self.owner is not None:
            add("owner = $?", self.owner)
        if self.role_holder is not None:
            add(
                "EXISTS (SELECT 1 FROM jsonb_each_text(roles) r WHERE r.value = $?)",
                self.role_holder,
            )
        if self.service is not None:
            add("$? = ANY(services)", self.service)
        if self.declared_since is not None:
            add("declared_at >= $?", self.declared_since)
        if self.declared_until is not None:
            add("declared_at < $?", self.declared_until)
        if self.review_pending is not None:
            add("review_pending = $?", self.review_pending)
        if self.update_overdue is not None:
            # coalesce: with nothing due the comparison is NULL, and NOT NULL would drop the row.
            overdue = "(status = 'open' AND coalesce(next_customer_update_due < now(), false))"
            conditions.append(overdue if self.update_overdue else f"NOT {overdue}")
        if self.q:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            add("title ILIKE $?", f"%{escaped}%")
        return conditions, args


@dataclass(frozen=True)
class IncidentPage:
    """One page of a listing, and the cursor of the next (None on the last page)."""

    items: list[IncidentRow]
    next_cursor: str | None


async def list_incidents(
    pool: asyncpg.Pool,
    filters: IncidentFilter,
    *,
    sort: str = DEFAULT_SORT,
    limit: int = 50,
    cursor: str | None = None,
) -> IncidentPage:
    """A page of incidents in a stable order: the sort key, then the id."""
    key_name, descending = _parse_sort(sort)
    key = SORT_KEYS[key_name]
    conditions, args = filters.where()
    if cursor is not None:
        value, last_id = _decode_cursor(cursor, sort)
        args.extend([value, last_id])
        op = "<" if descending else ">"
        conditions.append(f"({key}, id) {op} (${len(args) - 1}, ${len(args)})")
    direction = "DESC" if descending else "ASC"
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    args.append(limit + 1)
    records = await pool.fetch(
        f"SELECT {', '.join(INCIDENT_COLUMNS)}, {key} AS sort_value FROM {INCIDENTS} {where} "
        f"ORDER BY {key} {direction}, id {direction} LIMIT ${len(args)}",
        *args,
    )
    items = [incident_from_record(r) for r in records[:limit]]
    next_cursor = None
    if len(records) > limit:
        last = records[limit - 1]
        next_cursor = _encode_cursor(sort, last["sort_value"], last["id"])
    return IncidentPage(items=items, next_cursor=next_cursor)


async def get_incident_row(pool: asyncpg.Pool, incident_id: UUID) -> IncidentRow | None:
    """One incident's read-model row, or None if the projector has not seen it."""
    record = await pool.fetchrow(
        f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM {INCIDENTS} WHERE id = $1", incident_id
    )
    return None if record is None else incident_from_record(record)


def _parse_sort(sort: str) -> tuple[str, bool]:
    name = sort.removeprefix("-")
    if name not in SORT_KEYS:
        raise ProblemError(
            422,
            "validation-error",
            "Request is invalid",
            f"sort: must be one of {', '.join(SORT_KEYS)}, optionally prefixed with -",
            field="sort",
        )
    return name, sort.startswith("-")


def _encode_cursor(sort: str, value: Any, last_id: UUID) -> str:
    typed = {"t": "dt", "v": value.isoformat()} if isinstance(value, datetime) else {"v": value}
    payload = orjson.dumps({"s": sort, "id": str(last_id), **typed})
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, UUID]:
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload["s"] != sort:
            raise ValueError("cursor belongs to another sort order")
        value = payload["v"]
        if payload.get("t") == "dt":
            value = datetime.fromisoformat(value)
        if not _fits(sort.removeprefix("-"), value):
            raise ValueError("cursor value does not fit the sort key")
        return value, UUID(payload["id"])
    except (ValueError, KeyError, TypeError) as error:
        raise ProblemError(
            400,
            "invalid-cursor",
            "The cursor is not valid here",
            "pass back next_cursor unchanged, with the same sort",
            field="cursor",
        ) from error


def _fits(key: str, value: Any) -> bool:
    """Whether a cursor's value has the type (and range) of the sort key's column."""
    if isinstance(value, bool) or not isinstance(value, _CURSOR_TYPES[key]):
        return False
    if isinstance(value, datetime):
        return value.tzinfo is not None
    return not isinstance(value, int) or -_BIGINT_LIMIT <= value < _BIGINT_LIMIT
