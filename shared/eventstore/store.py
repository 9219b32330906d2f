"""The async event store: append with optimistic concurrency, read streams and the global log.

Appends serialise on the events table's EXCLUSIVE lock, taken inside their short transaction,
so notification ids are issued in commit order and a follower reading `position > last` can
never pass over an event that commits later with a lower id. SELECTs are not blocked by it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import asyncpg
from eventsourcing.domain import CanMutateAggregate, DomainEventProtocol, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from shared.domain.events import IncidentEvent, as_incident_event
from shared.eventstore.schema import APPEND_FUNCTION, EVENTS_TABLE, SNAPSHOTS_TABLE

AppendHook = Callable[[asyncpg.Connection, int], Awaitable[None]]
"""Extra work done inside an append's transaction, given the append's last position."""


class ConcurrencyConflictError(Exception):
    """Another writer appended to the stream first; nothing of this append was written."""

    def __init__(self, originator_id: UUID) -> None:
        super().__init__(f"stream {originator_id} was changed concurrently")
        self.originator_id = originator_id


class StoreBusyError(Exception):
    """The append could not take the events table lock within `lock_timeout`."""


@dataclass(frozen=True, slots=True, init=False)
class RecordedEvent:
    """An incident event as stored: with its position in the global log.

    Only incident events are recorded: any other event (e.g. a snapshot) is refused with
    `NotAnIncidentEventError` when it is decoded.
    """

    position: int
    event: IncidentEvent

    def __init__(self, position: int, event: DomainEventProtocol[UUID]) -> None:
        object.__setattr__(self, "position", position)
        object.__setattr__(self, "event", as_incident_event(event))

    @property
    def originator_id(self) -> UUID:
        """The aggregate the event belongs to."""
        return self.event.originator_id

    @property
    def version(self) -> int:
        """The event's version within its aggregate's stream."""
        return self.event.originator_version


class EventStore:
    """Reads and writes domain events in eventsourcing's PostgreSQL application schema."""

    def __init__(
        self, pool: asyncpg.Pool, mapper: Mapper[UUID], *, lock_timeout_ms: int = 5_000
    ) -> None:
        self._pool = pool
        self._mapper = mapper
        self._lock_timeout = f"{int(lock_timeout_ms)}ms"
        self._append_sql = (
            f"SELECT {APPEND_FUNCTION}($1::uuid[], $2::bigint[], $3::text[], $4::bytea[], $5)"
        )

    @property
    def mapper(self) -> Mapper[UUID]:
        """The serializer the store uses; the one place events become bytes."""
        return self._mapper

    async def append(
        self, events: Sequence[DomainEventProtocol[UUID]], *, within: AppendHook | None = None
    ) -> int:
        """Append events atomically and return the position of the last one.

        Raises ConcurrencyConflictError if any (originator_id, originator_version) exists.
        `within` runs in the same transaction, after the insert; if it raises, nothing is kept.
        """
        if not events:
            raise ValueError("append needs at least one event")
        stored = [self._mapper.to_stored_event(e) for e in events]
        repeated = _first_repeated(stored)
        if repeated is not None:
            # The database would skip the repeat silently; it is a conflict within the append.
            raise ConcurrencyConflictError(repeated)
        columns = (
            [s.originator_id for s in stored],
            [s.originator_version for s in stored],
            [s.topic for s in stored],
            [s.state for s in stored],
            self._lock_timeout,
        )
        async with self._pool.acquire() as conn:
            try:
                if within is None:
                    # The statement is its own transaction: one round trip for the append.
                    last = await conn.fetchval(self._append_sql, *columns)
                else:
                    async with conn.transaction():
                        last = await conn.fetchval(self._append_sql, *columns)
                        await within(conn, last)
            except asyncpg.LockNotAvailableError as error:
                raise StoreBusyError("the event store is busy; try again") from error
            except asyncpg.UniqueViolationError as error:
                if error.table_name is not None or error.detail is None:
                    raise  # not the function's conflict (e.g. from `within`)
                raise ConcurrencyConflictError(UUID(error.detail)) from error
        return int(last)

    async def read_stream(
        self,
        originator_id: UUID,
        *,
        after_version: int = 0,
        up_to_version: int | None = None,
    ) -> list[RecordedEvent]:
        """The events of one aggregate in version order, optionally within a version range."""
        rows = await self._pool.fetch(
            f"""SELECT originator_id, originator_version, topic, state, notification_id
                FROM {EVENTS_TABLE}
                WHERE originator_id = $1 AND originator_version > $2
                  AND ($3::bigint IS NULL OR originator_version <= $3)
                ORDER BY originator_version""",
            originator_id,
            after_version,
            up_to_version,
        )
        return [self._recorded(row) for row in rows]

    async def read_log(self, *, after: int, limit: int) -> list[RecordedEvent]:
        """Up to `limit` events of the global log with a position greater than `after`."""
        rows = await self._pool.fetch(
            f"""SELECT originator_id, originator_version, topic, state, notification_id
                FROM {EVENTS_TABLE}
                WHERE notification_id > $1
                ORDER BY notification_id
                LIMIT $2""",
            after,
            limit,
        )
        return [self._recorded(row) for row in rows]

    async def max_position(self) -> int:
        """The position of the newest event in the log (0 when the log is empty)."""
        value = await self._pool.fetchval(
            f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}"
        )
        return int(value)

    async def exists(self, originator_id: UUID) -> bool:
        """Whether any event has been stored for this aggregate."""
        return bool(
            await self._pool.fetchval(
                f"SELECT EXISTS (SELECT 1 FROM {EVENTS_TABLE} WHERE originator_id = $1)",
                originator_id,
            )
        )

    async def write_snapshot(self, snapshot: DomainEventProtocol[UUID]) -> None:
        """Store a snapshot; a second snapshot of the same version is ignored."""
        stored = self._mapper.to_stored_event(snapshot)
        await self._pool.execute(
            f"""INSERT INTO {SNAPSHOTS_TABLE} (originator_id, originator_version, topic, state)
                VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
            stored.originator_id,
            stored.originator_version,
            stored.topic,
            stored.state,
        )

    async def read_latest(
        self, originator_id: UUID, *, up_to_version: int | None = None
    ) -> tuple[Snapshot | None, list[RecordedEvent]]:
        """The newest snapshot (at or below `up_to_version`) and the events after it.

        One statement, one round trip: loading an aggregate is on every command's path.
        """
        rows = await self._pool.fetch(
            f"""WITH snap AS (
                    SELECT originator_id, originator_version, topic, state FROM {SNAPSHOTS_TABLE}
                    WHERE originator_id = $1
                      AND ($2::bigint IS NULL OR originator_version <= $2)
                    ORDER BY originator_version DESC LIMIT 1
                )
                SELECT originator_id, originator_version, topic, state,
                       NULL::bigint AS notification_id FROM snap
                UNION ALL
                SELECT originator_id, originator_version, topic, state, notification_id
                FROM {EVENTS_TABLE}
                WHERE originator_id = $1
                  AND originator_version > coalesce((SELECT originator_version FROM snap), 0)
                  AND ($2::bigint IS NULL OR originator_version <= $2)
                ORDER BY notification_id NULLS FIRST""",
            originator_id,
            up_to_version,
        )
        if rows and rows[0]["notification_id"] is None:
            snapshot = cast(Snapshot, self._mapper.to_domain_event(_stored(rows[0])))
            return snapshot, [self._recorded(row) for row in rows[1:]]
        return None, [self._recorded(row) for row in rows]

    def _recorded(self, row: asyncpg.Record) -> RecordedEvent:
        return RecordedEvent(
            position=int(row["notification_id"]),
            event=cast(CanMutateAggregate[UUID], self._mapper.to_domain_event(_stored(row))),
        )


def _stored(row: asyncpg.Record | dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _first_repeated(stored: Sequence[StoredEvent]) -> UUID | None:
    """The stream of the first event that repeats an earlier one's version in the same append."""
    seen: set[tuple[UUID | str, int]] = set()
    for s in stored:
        key = (s.originator_id, s.originator_version)
        if key in seen:
            return _as_uuid(s.originator_id)
        seen.add(key)
    return None


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
