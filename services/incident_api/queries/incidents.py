"""Listing and reading incidents from the `rm_incidents` read model, with keyset pagination."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import asyncpg
import orjson

from services.incident_api.errors import InvalidCursorError, InvalidParameterError
from shared.domain.rules import severity_rank
from shared.domain.values import Role, Severity
from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.tables import INCIDENT_COLUMNS, incident_from_record

# By rank, not by the text: the domain's `severity_rank` (P1 first, unclassified last) in SQL.
_SEVERITY_RANK: Final = (
    "CASE severity "
    + " ".join(f"WHEN '{s.value}' THEN {severity_rank(s.value)}" for s in Severity)
    + f" ELSE {severity_rank(None)} END"
)
# Each sort key is an SQL expression that is never NULL, so keyset comparison is total.
SORT_KEYS: Final[dict[str, str]] = {
    "declared_at": "declared_at",
    "updated_at": "updated_at",
    "number": "number",
    "severity": _SEVERITY_RANK,
}
DEFAULT_SORT: Final = "-declared_at"
# The Python type of each sort key's value, so a tampered cursor is refused, not sent to SQL.
_CURSOR_TYPES: Final[dict[str, type]] = {
    "declared_at": datetime,
    "updated_at": datetime,
    "number": int,
    "severity": int,
}
_BIGINT_LIMIT: Final = 2**63
# At most 18 digits: every such number fits the bigint column.
_REFERENCE: Final = re.compile(r"inc-([0-9]{1,18})", re.IGNORECASE)


_HOLDS_A_ROLE: Final = "EXISTS (SELECT 1 FROM jsonb_each_text(roles) r WHERE r.value = $?)"
# `rules.acting_commander`: the named IC, or the owner until one is named.
_ACTING_COMMANDER: Final = f"coalesce(roles->>'{Role.INCIDENT_COMMANDER.value}', owner)"
_OWNS_AN_OPEN_FOLLOW_UP: Final = (
    f"EXISTS (SELECT 1 FROM {FOLLOW_UPS} f WHERE f.incident_id = {INCIDENTS}.id "
    "AND f.owner = $? AND f.status = 'open')"
)

# The filters that are one condition on their value; $? stands for the value.
_CONDITIONS: Final = {
    "status": "status = $?",
    "severity": "severity = $?",
    "owner": "owner = $?",
    "role_holder": f"({_HOLDS_A_ROLE} OR {_ACTING_COMMANDER} = $?)",
    "involves": f"(owner = $? OR {_HOLDS_A_ROLE} OR {_OWNS_AN_OPEN_FOLLOW_UP})",
    "service": "$? = ANY(services)",
    "declared_since": "declared_at >= $?",
    "declared_until": "declared_at < $?",
    "review_pending": "review_pending = $?",
}


@dataclass(frozen=True)
class IncidentFilter:
    """What to list; every field narrows the result, None means no condition."""

    status: str | None = None
    severity: str | None = None
    owner: str | None = None
    role_holder: str | None = None
    involves: str | None = None
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

        for name, sql in _CONDITIONS.items():
            value = getattr(self, name)
            if value is not None:
                add(sql, value)
        if self.update_overdue is not None:
            # coalesce: with nothing due the comparison is NULL, and NOT NULL would drop the row.
            overdue = "(status = 'open' AND coalesce(next_customer_update_due < now(), false))"
            conditions.append(overdue if self.update_overdue else f"NOT {overdue}")
        if self.q:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            add("title ILIKE $?", f"%{escaped}%")
            number = reference_number(self.q)
            if number is not None:
                # `INC-12` finds incident 12, and any title that mentions it.
                args.append(number)
                conditions[-1] = f"({conditions[-1]} OR number = ${len(args)})"
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


def reference_number(text: str) -> int | None:
    """The number in `INC-<number>` (any case, spaces around allowed), or None."""
    match = _REFERENCE.fullmatch(text.strip())
    return None if match is None else int(match.group(1))


async def incident_numbered(pool: asyncpg.Pool, number: int) -> UUID | None:
    """The id of the incident numbered `number` (INC-<number>), if the projector has it."""
    found: UUID | None = await pool.fetchval(
        f"SELECT id FROM {INCIDENTS} WHERE number = $1", number
    )
    return found


def _parse_sort(sort: str) -> tuple[str, bool]:
    name = sort.removeprefix("-")
    if name not in SORT_KEYS:
        raise InvalidParameterError(
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
        raise InvalidCursorError from error


def _fits(key: str, value: Any) -> bool:
    """Whether a cursor's value has the type (and range) of the sort key's column."""
    if isinstance(value, bool) or not isinstance(value, _CURSOR_TYPES[key]):
        return False
    if isinstance(value, datetime):
        return value.tzinfo is not None
    return not isinstance(value, int) or -_BIGINT_LIMIT <= value < _BIGINT_LIMIT
