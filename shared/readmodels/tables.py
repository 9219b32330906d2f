"""Rows of the read-model tables: SQL to write them and conversions to and from Python."""

from __future__ import annotations

from typing import Any, Final

import asyncpg
import orjson

from shared.readmodels.ddl import INCIDENTS
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.timeline import TimelineEntry

INCIDENT_COLUMNS: Final = (
    "id",
    "number",
    "title",
    "description",
    "status",
    "severity",
    "criteria",
    "services",
    "owner",
    "declared_by",
    "declared_at",
    "updated_at",
    "version",
    "position",
    "roles",
    "tickets",
    "impact",
    "scope",
    "resolution",
    "resolution_summary",
    "ic_assigned_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "last_customer_update_at",
    "cadence_started_at",
    "next_customer_update_due",
    "customer_update_intervals",
    "customer_update_intervals_met",
)
TIMELINE_COLUMNS: Final = (
    "incident_id",
    "version",
    "position",
    "occurred_at",
    "actor",
    "type",
    "summary",
    "data",
)
_JSON_COLUMNS: Final = frozenset({"roles", "tickets", "data"})


def upsert_incidents_sql(schema: str) -> str:
    """INSERT … ON CONFLICT UPDATE of whole incident rows, parameters in INCIDENT_COLUMNS order."""
    columns = ", ".join(INCIDENT_COLUMNS)
    values = ", ".join(f"${i}" for i in range(1, len(INCIDENT_COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in INCIDENT_COLUMNS if c != "id")
    return (
        f"INSERT INTO {schema}.{INCIDENTS} ({columns}) VALUES ({values}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def incident_record(row: IncidentRow) -> tuple[Any, ...]:
    """An IncidentRow as database values, in INCIDENT_COLUMNS order."""
    return tuple(_to_db(c, getattr(row, c)) for c in INCIDENT_COLUMNS)


def timeline_record(entry: TimelineEntry) -> tuple[Any, ...]:
    """A TimelineEntry as database values, in TIMELINE_COLUMNS order."""
    return tuple(_to_db(c, getattr(entry, c)) for c in TIMELINE_COLUMNS)


def incident_from_record(record: asyncpg.Record) -> IncidentRow:
    """An IncidentRow from a selected `rm_incidents` row."""
    return IncidentRow(**{c: _from_db(c, record[c]) for c in INCIDENT_COLUMNS})


def timeline_from_record(record: asyncpg.Record) -> TimelineEntry:
    """A TimelineEntry from a selected `rm_timeline` row."""
    return TimelineEntry(**{c: _from_db(c, record[c]) for c in TIMELINE_COLUMNS})


def _to_db(column: str, value: Any) -> Any:
    # jsonb goes as text: asyncpg's default codec for jsonb is text, which avoids a codec setup.
    return orjson.dumps(value, default=str).decode() if column in _JSON_COLUMNS else value


def _from_db(column: str, value: Any) -> Any:
    if column in _JSON_COLUMNS:
        return orjson.loads(value)
    if isinstance(value, list) or column not in ("criteria", "services"):
        return value
    return list(value)
