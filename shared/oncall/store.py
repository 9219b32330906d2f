"""The on-call log in PostgreSQL (`irm_oncall_events`): append to a stream with optimistic
concurrency, read a stream back, list the streams of a type."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
import orjson

from shared.oncall.events import OncallEvent, decode, event_name

StreamType = Literal["schedule", "escalation_policy", "service"]


class StreamConflictError(Exception):
    """Another change to the stream was recorded first."""

    def __init__(self, stream_id: UUID) -> None:
        super().__init__(f"{stream_id} was changed concurrently")
        self.stream_id = stream_id


class NameTakenError(Exception):
    """A service of this name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a service named {name!r} exists already")
        self.name = name


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event of the on-call log as stored."""

    stream_id: UUID
    version: int
    event: OncallEvent
    recorded_at: datetime
    recorded_by: str


async def append(
    conn: asyncpg.Pool | asyncpg.Connection,
    stream_id: UUID,
    stream_type: StreamType,
    event: OncallEvent,
    *,
    version: int,
    actor: str,
) -> Recorded:
    """Record `event` as `version` of the stream (1 for a new stream); StreamConflictError if
    that version exists (someone else changed it since it was read)."""
    try:
        row = await conn.fetchrow(
            "INSERT INTO irm_oncall_events "
            "(stream_id, version, stream_type, type, data, recorded_by) "
            "VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING recorded_at",
            stream_id,
            version,
            stream_type,
            event_name(event),
            orjson.dumps(dataclasses.asdict(event)).decode(),
            actor,
        )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "irm_oncall_service_name_idx":
            raise NameTakenError(getattr(event, "name", "")) from None
        raise StreamConflictError(stream_id) from None
    assert row is not None
    return Recorded(stream_id, version, event, row["recorded_at"], actor)


async def read_stream(
    conn: asyncpg.Pool | asyncpg.Connection, stream_id: UUID, stream_type: StreamType
) -> list[Recorded]:
    """The stream's events in order; [] if there is no such stream of this type."""
    rows = await conn.fetch(
        "SELECT stream_id, version, type, data::text AS data, recorded_at, recorded_by "
        "FROM irm_oncall_events WHERE stream_id = $1 AND stream_type = $2 ORDER BY version",
        stream_id,
        stream_type,
    )
    return [_recorded(r) for r in rows]


async def read_streams(
    conn: asyncpg.Pool | asyncpg.Connection, stream_type: StreamType
) -> dict[UUID, list[Recorded]]:
    """Every stream of a type, each in order, the streams by when they were created."""
    rows = await conn.fetch(
        "SELECT e.stream_id, e.version, e.type, e.data::text AS data, e.recorded_at, "
        "e.recorded_by FROM irm_oncall_events e JOIN irm_oncall_events first "
        "ON first.stream_id = e.stream_id AND first.version = 1 "
        "WHERE e.stream_type = $1 ORDER BY first.recorded_at, e.stream_id, e.version",
        stream_type,
    )
    streams: dict[UUID, list[Recorded]] = {}
    for r in rows:
        streams.setdefault(r["stream_id"], []).append(_recorded(r))
    return streams


async def stream_exists(
    conn: asyncpg.Pool | asyncpg.Connection, stream_id: UUID, stream_type: StreamType
) -> bool:
    """Whether a stream of this type has this id."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM irm_oncall_events "
            "WHERE stream_id = $1 AND stream_type = $2)",
            stream_id,
            stream_type,
        )
    )


def _recorded(row: asyncpg.Record) -> Recorded:
    return Recorded(
        stream_id=row["stream_id"],
        version=row["version"],
        event=decode(row["type"], orjson.loads(row["data"])),
        recorded_at=row["recorded_at"],
        recorded_by=row["recorded_by"],
    )
