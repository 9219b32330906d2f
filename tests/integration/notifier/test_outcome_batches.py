"""Attempt outcomes are written in batches: every send that finishes in the same turn of the
event loop shares one statement, and a batch that fails is written one outcome at a time, so
a bad row costs only itself."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.notifier import outcomes
from services.notifier.outcomes import AttemptOutcome, OutcomeBatcher
from shared.webhooks.deliveries import NewDelivery, queue_deliveries
from shared.webhooks.subscriptions import create_subscription


async def queued(pool: asyncpg.Pool, count: int) -> list[uuid.UUID]:
    """`count` pending deliveries of one subscription, leased for their first attempt."""
    subscription, _ = await create_subscription(
        pool,
        url="http://127.0.0.1:9/hooks",
        event_types=[],
        severities=[],
        description=None,
        created_by="root",
    )
    incident = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await queue_deliveries(
            conn,
            [
                NewDelivery(
                    subscription.id, incident, n, n, "incident.declared", f"m{n}", b"{}", "live"
                )
                for n in range(1, count + 1)
            ],
        )
    await pool.execute(
        "UPDATE irm_deliveries SET attempts = 1, leased_until = now() + interval '1 minute'"
    )
    return [r["id"] for r in await pool.fetch("SELECT id FROM irm_deliveries ORDER BY seq")]


def outcome(delivery_id: uuid.UUID, status: str, **more: Any) -> AttemptOutcome:
    return AttemptOutcome(
        delivery_id=delivery_id,
        attempt=1,
        started_at=datetime.now(tz=UTC),
        status_code=200 if status == "succeeded" else 503,
        latency_ms=1.5,
        error=None,
        status=status,
        **more,
    )


async def test_outcomes_that_finish_together_are_written_together(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await queued(pool, 6)
    batcher = OutcomeBatcher(pool)
    statements: list[int] = []
    real = outcomes.record_outcomes

    async def counting(conn: Any, batch: list[AttemptOutcome]) -> None:
        statements.append(len(batch))
        await real(conn, batch)

    monkeypatch.setattr(outcomes, "record_outcomes", counting)
    await asyncio.gather(
        *(batcher.record(outcome(i, "succeeded")) for i in ids[:5]),
        batcher.record(outcome(ids[5], "pending", retry_in=timedelta(minutes=5))),
    )

    assert statements == [6]
    rows = await pool.fetch(
        "SELECT status, leased_until, next_attempt_at > now() AS later FROM irm_deliveries"
        " ORDER BY seq"
    )
    assert [r["status"] for r in rows] == ["succeeded"] * 5 + ["pending"]
    assert all(r["leased_until"] is None for r in rows)
    assert rows[5]["later"]
    attempts = await pool.fetchval("SELECT count(*) FROM irm_delivery_attempts")
    assert attempts == 6


async def test_a_bad_outcome_fails_alone(pool: asyncpg.Pool) -> None:
    ids = await queued(pool, 3)
    batcher = OutcomeBatcher(pool)
    unknown = uuid.uuid4()  # no such delivery: its attempt row breaks the foreign key

    results = await asyncio.gather(
        *(batcher.record(outcome(i, "succeeded")) for i in [*ids, unknown]),
        return_exceptions=True,
    )

    assert results[:3] == [None, None, None]
    assert isinstance(results[3], asyncpg.ForeignKeyViolationError)
    statuses = await pool.fetch("SELECT status FROM irm_deliveries ORDER BY seq")
    assert [r["status"] for r in statuses] == ["succeeded"] * 3


async def test_a_record_waits_for_its_write(pool: asyncpg.Pool) -> None:
    (delivery,) = await queued(pool, 1)
    batcher = OutcomeBatcher(pool)

    await batcher.record(outcome(delivery, "failed"))

    assert await pool.fetchval("SELECT status FROM irm_deliveries") == "failed"
