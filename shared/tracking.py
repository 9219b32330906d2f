"""Tracked positions of the log's followers (projector, notifier): one row per follower."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import asyncpg

from shared.eventstore.store import EventStore, RecordedEvent

# Created by schema migration 2: (application_name, notification_id, updated_at).
TRACKING: Final = "irm_tracking"


async def lock_tracking(conn: asyncpg.Connection, name: str) -> int:
    """Lock this follower's tracking row for the transaction and return its position.

    Anyone else moving the position (a second instance, a rebuild's switch-over) waits here,
    so each event is handled by exactly one transaction.
    """
    # One round trip: the upsert creates the row on first use and otherwise locks it, as
    # SELECT … FOR UPDATE would, and returns the position as it stands.
    position = await conn.fetchval(
        f"INSERT INTO {TRACKING} (application_name, notification_id) VALUES ($1, 0) "
        "ON CONFLICT (application_name) DO UPDATE SET application_name = EXCLUDED.application_name "
        "RETURNING notification_id",
        name,
    )
    return int(position)


async def lock_unhandled(
    conn: asyncpg.Connection, name: str, batch: Sequence[RecordedEvent]
) -> tuple[int, list[RecordedEvent]]:
    """Lock the follower's tracking row (`lock_tracking`) and return its position and the
    batch's events after it: none when another instance handled the batch first."""
    tracked = await lock_tracking(conn, name)
    return tracked, [e for e in batch if e.position > tracked]


async def set_tracking(conn: asyncpg.Connection, name: str, position: int) -> None:
    """Record that everything up to `position` has been handled."""
    await conn.execute(
        f"UPDATE {TRACKING} SET notification_id = $2, updated_at = now() "
        "WHERE application_name = $1",
        name,
        position,
    )


async def tracked_position(pool: asyncpg.Pool, name: str) -> int:
    """The follower's position (0 before it has handled anything)."""
    value = await pool.fetchval(
        f"SELECT notification_id FROM {TRACKING} WHERE application_name = $1", name
    )
    return 0 if value is None else int(value)


@dataclass(frozen=True, slots=True)
class FollowerLag:
    """How far a follower is behind the head of the log."""

    name: str
    position: int
    head: int
    behind_events: int
    behind_seconds: float


async def follower_lag(pool: asyncpg.Pool, store: EventStore, name: str) -> FollowerLag:
    """Position, head, and the age of the oldest event the follower has not handled yet."""
    position = await tracked_position(pool, name)
    head = await store.max_position()
    behind_seconds = 0.0
    if head > position:
        oldest = await store.read_log(after=position, limit=1)
        if oldest:
            age = datetime.now(tz=UTC) - oldest[0].event.timestamp
            behind_seconds = max(0.0, age.total_seconds())
    return FollowerLag(
        name=name,
        position=position,
        head=head,
        behind_events=await _count_between(pool, position, head),
        behind_seconds=behind_seconds,
    )


async def _count_between(pool: asyncpg.Pool, after: int, up_to: int) -> int:
    # Positions can have gaps (rolled-back appends), so count rather than subtract.
    if up_to <= after:
        return 0
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM irm_events WHERE notification_id > $1 AND notification_id <= $2",
            after,
            up_to,
        )
    )


# --- parked events ------------------------------------------------------------------------

# Created by schema migration 6: (follower, position, originator_id, originator_version, topic,
# error, parked_at).
PARKED_EVENTS: Final = "irm_parked_events"


def parkable(error: BaseException) -> bool:
    """Whether `error`, raised while a follower handled one event, is about that event, so
    parking the event and going on is right; anything else (a lost connection, a lock or
    statement timeout, a deadlock, a missing table) is retried by restarting the follower.

    About the event: an exception of the follower's own code (the fold refused the event), a
    value the driver cannot send (`asyncpg` raises it as an `InterfaceError` that is also a
    `ValueError`), and PostgreSQL's data exceptions and integrity violations (SQLSTATE classes
    22 and 23).
    """
    if isinstance(error, asyncpg.PostgresError):
        return str(error.sqlstate or "")[:2] in ("22", "23")
    if isinstance(error, asyncpg.InterfaceError):
        return isinstance(error, ValueError)
    return not isinstance(error, OSError | MemoryError | RecursionError)


async def park_event(
    conn: asyncpg.Connection, name: str, recorded: RecordedEvent, error: BaseException
) -> None:
    """Record, in the caller's transaction, that follower `name` passed an event it could not
    handle, and why (the exception's repr, which shows any control character escaped)."""
    await conn.execute(
        f"""INSERT INTO {PARKED_EVENTS}
                (follower, position, originator_id, originator_version, topic, error)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (follower, position) DO UPDATE
                SET error = EXCLUDED.error, parked_at = now()""",
        name,
        recorded.position,
        recorded.originator_id,
        recorded.version,
        recorded.event.TOPIC,
        repr(error),
    )


async def parked_counts(pool: asyncpg.Pool) -> dict[str, int]:
    """How many events each follower has parked (followers with none are left out)."""
    records = await pool.fetch(
        f"SELECT follower, count(*) AS parked FROM {PARKED_EVENTS} GROUP BY follower "
        "ORDER BY follower"
    )
    return {r["follower"]: int(r["parked"]) for r in records}
