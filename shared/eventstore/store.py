"""The async event store: append with optimistic concurrency, read streams and the global log.

Appends serialise on the events table's EXCLUSIVE lock, taken inside their short transaction,
so notification ids are issued in commit order and a follower reading `position > last` can
never pass over an event that commits later with a lower id. SELECTs are not blocked by it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import asyncpg
from eventsourcing.domain import CanMutateAggregate, DomainEventProtocol, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from shared.eventstore.schema import EVENTS_CHANNEL, EVENTS_TABLE, SNAPSHOTS_TABLE

AppendHook = Callable[[asyncpg.Connection, int], Awaitable[None]]
"""Extra work done inside an append's transaction, given the append's last position."""


class ConcurrencyConflictError(Exception):
    """Another writer appended to the stream first; nothing of this append was written."""

    def __init__(self, originator_id: UUID) -> None:
        super().__init__(f"stream {originator_id} was changed concurrently")
        self.originator_id = originator_id


class StoreBusyError(Exception):
    """The append could not take the events table lock within `lock_timeout`."""


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A domain event as stored: with its position in the global log."""

    position: int
    event: CanMutateAggregate[UUID]

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
        self._lock_sql = (
            f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'; "
            f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE; "
            f"NOTIFY {EVENTS_CHANNEL}"
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
        async with self._pool.acquire() as conn, conn.transaction():
            try:
                await conn.execute(self._lock_sql)
            except asyncpg.LockNotAvailableError as error:
                raise StoreBusyError("the event store is busy; try again") from error
            # Conflicting rows are skipped rather than raised, so the conflict can name the
            # stream that was taken (not merely the first of the append); raising below then
            # rolls back the whole append.
            inserted = await conn.fetch(
                f"""INSERT INTO {EVENTS_TABLE}
                    (originator_id, originator_version, topic, state)
                    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])
                    ON CONFLICT DO NOTHING
                    RETURNING originator_id, originator_version, notification_id""",
                [s.originator_id for s in stored],
                [s.originator_version for s in stored],
                [s.topic for s in stored],
                [s.state for s in stored],
            )
            if len(inserted) < len(stored):
                raise ConcurrencyConflictError(_first_skipped(stored, inserted))
            last = max(r["notification_id"] for r in inserted)
            if within is not None:
                await within(conn, last)
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


def _first_skipped(stored: Sequence[StoredEvent], inserted: Sequence[asyncpg.Record]) -> UUID:
    """The stream of the first event an `ON CONFLICT DO NOTHING` insert skipped."""
    written = Counter((r["originator_id"], r["originator_version"]) for r in inserted)
    for s in stored:
        key = (_as_uuid(s.originator_id), s.originator_version)
        if written[key] == 0:
            return key[0]
        written[key] -= 1
    raise AssertionError("no event was skipped")


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
