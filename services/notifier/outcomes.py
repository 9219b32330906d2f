"""Record the outcomes of delivery attempts in batches: one statement for every attempt that
finished in the same turn of the event loop, instead of one statement (a round trip, and the
socket writes that cost the most CPU here) per delivery.

A send's task ends only once its outcome is written, so the next delivery of the same incident
and subscription is never claimed before this one's outcome is in the table: the order per
incident holds as it did with a statement per attempt. Should a batch fail, each of its
outcomes is written on its own, so one bad row costs only itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

import asyncpg

log = logging.getLogger(__name__)

# Every attempt and its delivery's new state in one statement (its own transaction): `status`
# 'pending' schedules the next try after `retry_in`, 'succeeded' or 'failed' completes it.
_RECORD_MANY: Final = """
WITH o AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[],
                         $5::float8[], $6::text[], $7::text[], $8::interval[])
        AS o (id, attempt, started_at, status_code, latency_ms, error, status, retry_in)
), attempt AS (
    INSERT INTO irm_delivery_attempts
        (delivery_id, attempt, started_at, status_code, latency_ms, error)
    SELECT id, attempt, started_at, status_code, latency_ms, error FROM o
    ON CONFLICT DO NOTHING
)
UPDATE irm_deliveries d SET
    status = o.status,
    completed_at = CASE WHEN o.status = 'pending' THEN NULL ELSE now() END,
    next_attempt_at = CASE WHEN o.status = 'pending' THEN now() + o.retry_in
                           ELSE d.next_attempt_at END,
    leased_until = NULL, last_status_code = o.status_code, last_error = o.error
FROM o WHERE d.id = o.id
"""


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """One attempt's row, and the state its delivery moves to."""

    delivery_id: UUID
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None
    status: str  # 'pending' (to be retried), 'succeeded' or 'failed'
    retry_in: timedelta | None = None


async def record_outcomes(
    conn: asyncpg.Connection | asyncpg.Pool, outcomes: list[AttemptOutcome]
) -> None:
    """Write attempts and their deliveries' new states in one statement."""
    await conn.execute(
        _RECORD_MANY,
        [o.delivery_id for o in outcomes],
        [o.attempt for o in outcomes],
        [o.started_at for o in outcomes],
        [o.status_code for o in outcomes],
        [o.latency_ms for o in outcomes],
        [o.error for o in outcomes],
        [o.status for o in outcomes],
        [o.retry_in for o in outcomes],
    )


class OutcomeBatcher:
    """Collects the outcomes of one loop turn and writes them together."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._waiting: list[tuple[AttemptOutcome, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, outcome: AttemptOutcome) -> None:
        """Return once `outcome` is written; raise what writing it raised."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, written))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        # The write goes on if this caller is cancelled (a shutdown): others wait for it too.
        await asyncio.shield(written)

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)  # let the other sends that finished this turn join
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write(batch)
        finally:
            self._flushing = None

    async def _write(self, batch: list[tuple[AttemptOutcome, asyncio.Future[None]]]) -> None:
        try:
            await record_outcomes(self._pool, [outcome for outcome, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                _settle(batch, error)
                return
            log.warning("recording %d outcomes together failed; one at a time", len(batch))
            for one in batch:
                await self._write([one])
            return
        _settle(batch, None)


def _settle(
    batch: list[tuple[AttemptOutcome, asyncio.Future[None]]], error: Exception | None
) -> None:
    for _, written in batch:
        if written.done():
            continue
        if error is None:
            written.set_result(None)
        else:
            written.set_exception(error)
