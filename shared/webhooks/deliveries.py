"""Deliveries: one row per (message, subscription) to send, with every attempt logged."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import asyncpg

from shared.domain.events import event_name
from shared.eventstore.store import RecordedEvent
from shared.webhooks.facts import IncidentFacts
from shared.webhooks.message import build_body, message_id, short_type
from shared.webhooks.subscriptions import Subscription

DELIVERIES_CHANNEL: Final = "irm_deliveries"

_INSERT: Final = """
INSERT INTO irm_deliveries
    (id, subscription_id, incident_id, position, event_version, event_type, message_id, body,
     cause, status)
SELECT * , 'pending' FROM unnest(
    $1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
    $8::bytea[], $9::text[])
"""


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to queue."""

    subscription_id: uuid.UUID
    incident_id: uuid.UUID
    position: int
    event_version: int
    event_type: str
    message_id: str
    body: bytes
    cause: str


def deliveries_for(
    recorded: RecordedEvent,
    facts: IncidentFacts,
    subscriptions: Sequence[Subscription],
    *,
    cause: str,
) -> list[NewDelivery]:
    """The deliveries of one event to every subscription that wants it (one shared body)."""
    event_type = short_type(event_name(recorded.event))
    wanted = [s for s in subscriptions if s.wants(event_type, facts.severity)]
    if not wanted:
        return []
    body = build_body(recorded, facts)
    msg_id = message_id(recorded)
    return [
        NewDelivery(
            subscription_id=s.id,
            incident_id=recorded.originator_id,
            position=recorded.position,
            event_version=recorded.version,
            event_type=event_type,
            message_id=msg_id,
            body=body,
            cause=cause,
        )
        for s in wanted
    ]


async def queue_deliveries(conn: asyncpg.Connection, deliveries: Sequence[NewDelivery]) -> None:
    """Insert deliveries (in the caller's transaction) and wake the senders."""
    if not deliveries:
        return
    await conn.execute(
        _INSERT,
        [uuid.uuid4() for _ in deliveries],
        [d.subscription_id for d in deliveries],
        [d.incident_id for d in deliveries],
        [d.position for d in deliveries],
        [d.event_version for d in deliveries],
        [d.event_type for d in deliveries],
        [d.message_id for d in deliveries],
        [d.body for d in deliveries],
        [d.cause for d in deliveries],
    )
    await conn.execute(f"NOTIFY {DELIVERIES_CHANNEL}")


async def redeliver(
    pool: asyncpg.Pool, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> uuid.UUID | None:
    """Queue the same message again (same id and body); None if there is no such delivery."""
    new_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        inserted = await conn.fetchval(
            """INSERT INTO irm_deliveries
                (id, subscription_id, incident_id, position, event_version, event_type,
                 message_id, body, cause, status)
               SELECT $3, subscription_id, incident_id, position, event_version, event_type,
                      message_id, body, 'redeliver', 'pending'
               FROM irm_deliveries WHERE id = $1 AND subscription_id = $2
               RETURNING id""",
            delivery_id,
            subscription_id,
            new_id,
        )
        if inserted is not None:
            await conn.execute(f"NOTIFY {DELIVERIES_CHANNEL}")
    return None if inserted is None else new_id


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One try at sending a delivery."""

    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """A delivery with its attempts, for the delivery log."""

    id: uuid.UUID
    seq: int
    incident_id: uuid.UUID
    position: int
    event_version: int
    event_type: str
    message_id: str
    cause: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    attempt_log: list[AttemptRecord]


async def delivery_log(
    pool: asyncpg.Pool,
    subscription_id: uuid.UUID,
    *,
    limit: int,
    before_seq: int | None = None,
    status: str | None = None,
) -> list[DeliveryRecord]:
    """The newest deliveries of a subscription first, each with every attempt."""
    records = await pool.fetch(
        """SELECT id, seq, incident_id, position, event_version, event_type, message_id, cause,
                  status, attempts, next_attempt_at, last_status_code, last_error, created_at,
                  completed_at
           FROM irm_deliveries
           WHERE subscription_id = $1 AND ($2::bigint IS NULL OR seq < $2)
             AND ($3::text IS NULL OR status = $3)
           ORDER BY seq DESC LIMIT $4""",
        subscription_id,
        before_seq,
        status,
        limit,
    )
    attempts = await pool.fetch(
        """SELECT delivery_id, attempt, started_at, status_code, latency_ms, error
           FROM irm_delivery_attempts WHERE delivery_id = any($1::uuid[])
           ORDER BY delivery_id, attempt""",
        [r["id"] for r in records],
    )
    by_delivery: dict[uuid.UUID, list[AttemptRecord]] = {}
    for a in attempts:
        by_delivery.setdefault(a["delivery_id"], []).append(
            AttemptRecord(
                attempt=a["attempt"],
                started_at=a["started_at"],
                status_code=a["status_code"],
                latency_ms=a["latency_ms"],
                error=a["error"],
            )
        )
    return [_delivery(r, by_delivery.get(r["id"], [])) for r in records]


def _delivery(record: asyncpg.Record, attempts: list[AttemptRecord]) -> DeliveryRecord:
    values: dict[str, Any] = {k: record[k] for k in record.keys()}  # noqa: SIM118
    if values["status"] != "pending":
        values["next_attempt_at"] = None
    return DeliveryRecord(**values, attempt_log=attempts)
