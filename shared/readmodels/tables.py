"""Rows of the read-model tables: SQL to write them and conversions to and from Python."""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Final

import asyncpg
import orjson

from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS
from shared.readmodels.follow_ups import FollowUpRow
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
    "postmortem_status",
    "postmortem_required",
    "review_pending",
    "factor_categories",
    "peak_severity",
    "started_at",
    "detected_at",
    "links",
    "factors",
    "paged_at",
    "acknowledged_at",
    "handovers",
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
    "added_at",
)
FOLLOW_UP_COLUMNS: Final = (
    "id",
    "incident_id",
    "title",
    "owner",
    "due_date",
    "ticket",
    "status",
    "added_at",
    "updated_at",
    "completed_at",
    "completed_by",
    "completion_note",
    "original_due_date",
    "due_date_changes",
    "overdue_for",
)
_JSON_COLUMNS: Final = frozenset({"roles", "tickets", "data", "links", "factors", "handovers"})


def upsert_incidents_sql(schema: str) -> str:
    """INSERT … ON CONFLICT UPDATE of whole incident rows, parameters in INCIDENT_COLUMNS order."""
    columns = ", ".join(INCIDENT_COLUMNS)
    values = ", ".join(f"${i}" for i in range(1, len(INCIDENT_COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in INCIDENT_COLUMNS if c != "id")
    return (
        f"INSERT INTO {schema}.{INCIDENTS} ({columns}) VALUES ({values}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def upsert_follow_ups_sql(schema: str) -> str:
    """INSERT … ON CONFLICT UPDATE of follow-up rows, parameters in FOLLOW_UP_COLUMNS order."""
    columns = ", ".join(FOLLOW_UP_COLUMNS)
    values = ", ".join(f"${i}" for i in range(1, len(FOLLOW_UP_COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in FOLLOW_UP_COLUMNS if c != "id")
    return (
        f"INSERT INTO {schema}.{FOLLOW_UPS} ({columns}) VALUES ({values}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def follow_up_record(row: FollowUpRow) -> tuple[Any, ...]:
    """A FollowUpRow as database values, in FOLLOW_UP_COLUMNS order."""
    return _record(_follow_up_values(row), ())


def follow_up_from_record(record: asyncpg.Record) -> FollowUpRow:
    """A FollowUpRow from a selected `rm_follow_ups` row."""
    return FollowUpRow(**{c: record[c] for c in FOLLOW_UP_COLUMNS})


def incident_record(row: IncidentRow) -> tuple[Any, ...]:
    """An IncidentRow as database values, in INCIDENT_COLUMNS order."""
    return _record(_incident_values(row), _INCIDENT_JSON_AT)


def timeline_record(entry: TimelineEntry) -> tuple[Any, ...]:
    """A TimelineEntry as database values, in TIMELINE_COLUMNS order."""
    return _record(_timeline_values(entry), _TIMELINE_JSON_AT)


def incident_from_record(record: asyncpg.Record) -> IncidentRow:
    """An IncidentRow from a selected `rm_incidents` row."""
    return IncidentRow(**{c: _from_db(c, record[c]) for c in INCIDENT_COLUMNS})


def timeline_from_record(record: asyncpg.Record) -> TimelineEntry:
    """A TimelineEntry from a selected `rm_timeline` row."""
    return TimelineEntry(**{c: _from_db(c, record[c]) for c in TIMELINE_COLUMNS})


def _json_at(columns: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i, column in enumerate(columns) if column in _JSON_COLUMNS)


# A rebuild turns every event of the log into a timeline record: one C-level attrgetter and
# a JSON dump of the few jsonb columns is several times cheaper than a call per column.
_incident_values: Final = attrgetter(*INCIDENT_COLUMNS)
_timeline_values: Final = attrgetter(*TIMELINE_COLUMNS)
_follow_up_values: Final = attrgetter(*FOLLOW_UP_COLUMNS)
_INCIDENT_JSON_AT: Final = _json_at(INCIDENT_COLUMNS)
_TIMELINE_JSON_AT: Final = _json_at(TIMELINE_COLUMNS)


def _record(values: tuple[Any, ...], json_at: tuple[int, ...]) -> tuple[Any, ...]:
    record = list(values)
    for index in json_at:
        record[index] = _to_json(record[index])
    for index, value in enumerate(record):
        kind = type(value)
        if (kind is str and NUL in value) or (kind is list and _nul_in_list(value)):
            record[index] = storable(value)
    return tuple(record)


def _nul_in_list(values: list[Any]) -> bool:
    return any(type(v) is str and NUL in v for v in values)


def _to_json(value: Any) -> str:
    # jsonb goes as text: asyncpg's default codec for jsonb is text, which avoids a codec setup.
    text = orjson.dumps(value, default=str).decode()
    # orjson writes NUL as the escape \u0000, which jsonb refuses like text does (a literal
    # backslash before "u0000" matches too, and is dumped again unchanged: harmless).
    if _NUL_ESCAPE in text:
        return orjson.dumps(storable(value), default=str).decode()
    return text


NUL: Final = "\x00"
NUL_REPLACEMENT: Final = "\ufffd"
_NUL_ESCAPE: Final = "\\u0000"


def storable(value: Any) -> Any:
    """`value` as PostgreSQL's text and jsonb can hold it: every NUL (U+0000), the one
    character they refuse in a UTF-8 database, replaced by U+FFFD (the replacement character),
    in a string, or in the strings, keys and items of lists, tuples and dicts at any depth.

    The one escape of everything the followers write as text or jsonb (read-model rows here,
    the notifier's incident facts): the event log keeps the original.
    """
    kind = type(value)
    if kind is str:
        return value.replace(NUL, NUL_REPLACEMENT) if NUL in value else value
    if kind is list or kind is tuple:
        return kind(storable(v) for v in value)
    if kind is dict:
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def _from_db(column: str, value: Any) -> Any:
    if column in _JSON_COLUMNS:
        return orjson.loads(value)
    if isinstance(value, list) or column not in ("criteria", "services", "factor_categories"):
        return value
    return list(value)
