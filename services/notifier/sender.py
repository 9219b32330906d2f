"""Send queued deliveries: at least once, in order per incident and subscription, with retries.

A delivery is claimed by leasing it (so a crashed notifier's claims expire and are retried),
sent, and its outcome and attempt are written in one statement, with those of the other
sends that finished at the same moment (`outcomes.py`). Only the oldest pending
delivery of each (subscription, incident) can be claimed, so event N+1 waits until event N
has succeeded or been given up. Each subscription has its own bound on deliveries in flight,
so a slow or dead receiver never takes the slots of the others.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final
from uuid import UUID

import asyncpg

from services.notifier.origin_pools import Answer, OriginSenders, SendFailedError
from services.notifier.outcomes import AttemptOutcome, OutcomeBatcher, record_outcomes
from services.notifier.settings import NotifierSettings
from shared.webhooks.message import CONTENT_TYPE, sign
from shared.webhooks.subscriptions import set_status
from shared.webhooks.url_guard import UnsafeUrlError, check_url

log = logging.getLogger(__name__)

_MAX_RETRY_AFTER: Final = timedelta(hours=24)
_IDLE_POLL_SECONDS: Final = 0.5
_LEASE_MARGIN: Final = timedelta(seconds=5)
_SWEEP_SECONDS: Final = 30.0  # how often pools unused for a while are closed

# Choose the due deliveries the free slots allow (the head of each incident and subscription,
# within each subscription's bound), lease them, and read their signing secrets: one statement.
_CLAIM: Final = """
WITH heads AS (
    SELECT DISTINCT ON (subscription_id, incident_id)
           id, subscription_id, seq, next_attempt_at, leased_until
    FROM irm_deliveries
    WHERE status = 'pending'
    ORDER BY subscription_id, incident_id, seq
), ready AS (
    SELECT h.id, h.seq,
           row_number() OVER (PARTITION BY h.subscription_id ORDER BY h.seq) AS rank,
           $2::int - coalesce(busy.in_flight, 0) AS free
    FROM heads h
    JOIN irm_subscriptions s ON s.id = h.subscription_id AND s.status = 'active'
    LEFT JOIN unnest($3::uuid[], $4::int[]) AS busy (subscription_id, in_flight)
           ON busy.subscription_id = h.subscription_id
    WHERE h.next_attempt_at <= now() AND (h.leased_until IS NULL OR h.leased_until < now())
), chosen AS (
    SELECT id FROM ready WHERE rank <= free ORDER BY seq LIMIT $1
)
UPDATE irm_deliveries d
SET leased_until = now() + $5::interval, attempts = d.attempts + 1
FROM irm_subscriptions s, chosen
WHERE d.id = chosen.id AND s.id = d.subscription_id AND d.status = 'pending'
  AND (d.leased_until IS NULL OR d.leased_until < now())
RETURNING d.id, d.subscription_id, d.message_id, d.body, d.attempts, s.url,
    array(SELECT k.secret FROM irm_subscription_secrets k
          WHERE k.subscription_id = d.subscription_id
            AND (k.expires_at IS NULL OR k.expires_at > now())
          ORDER BY k.created_at DESC) AS secrets
"""

# Deliveries whose sends were cut short by a shutdown, unless their outcome got recorded
# (which clears the lease) or another notifier has leased them since (which counted another
# attempt: the lease is no longer ours to clear).
_HAND_BACK: Final = """
UPDATE irm_deliveries d SET leased_until = NULL, attempts = d.attempts - 1
FROM unnest($1::uuid[], $2::int[]) AS ours (id, attempts)
WHERE d.id = ours.id AND d.attempts = ours.attempts
  AND d.status = 'pending' AND d.leased_until IS NOT NULL
"""
_HAND_BACK_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this notifier holds the lease of."""

    id: UUID
    subscription_id: UUID
    message_id: str
    body: bytes
    attempt: int
    url: str
    secrets: list[str]  # read with the lease: the newest first, then any still in grace


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    status_code: int | None
    error: str | None
    retry_after: timedelta | None

    @property
    def succeeded(self) -> bool:
        """2xx within the timeout; anything else, 3xx included, is a failure."""
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """Claims due deliveries and sends them, within the concurrency bounds."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clients: OriginSenders,
        settings: NotifierSettings,
        *,
        wake: asyncio.Event,
    ) -> None:
        self._pool = pool
        self._clients = clients
        self._outcomes = OutcomeBatcher(pool)
        self._wake = wake
        self._schedule = settings.retry_schedule()
        self._allowlist = settings.allowlist()
        self._max_in_flight = settings.webhook_max_in_flight
        self._per_subscription = settings.webhook_max_in_flight_per_subscription
        self._timeout = settings.webhook_timeout
        # An attempt lasts at most the timeout; the margin covers reading the secrets and
        # recording the outcome. A notifier killed mid-send holds its claims no longer.
        self._lease = timedelta(seconds=settings.webhook_timeout) + _LEASE_MARGIN
        self._in_flight: Counter[UUID] = Counter()
        self._next_sweep = time.monotonic() + _SWEEP_SECONDS
        self._tasks: dict[asyncio.Task[None], Claimed] = {}  # each send and its delivery

    async def run(self) -> None:
        """Send until cancelled; in-flight sends are cancelled with it and their deliveries
        handed back, so the next notifier sends them at once rather than after the lease."""
        try:
            while True:
                self._wake.clear()
                claimed = await self.claim()
                for delivery in claimed:
                    self._start(delivery)
                await self._close_idle_pools()
                if not claimed:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
                    # cancellation that lands as the event is set, and the notifier never stops.
                    with suppress(TimeoutError):
                        async with asyncio.timeout(_IDLE_POLL_SECONDS):
                            await self._wake.wait()
        finally:
            sending = dict(self._tasks)
            for task in sending:
                task.cancel()
            if sending:
                # Let the cancelled sends end first: one may be recording its outcome.
                await asyncio.wait(sending, timeout=_HAND_BACK_SECONDS)
                await self._hand_back(list(sending.values()))

    async def _close_idle_pools(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_SECONDS
        await self._clients.close_idle({s for s, n in self._in_flight.items() if n > 0})

    async def _hand_back(self, deliveries: list[Claimed]) -> None:
        # An attempt cut short is not counted (it may still have reached the receiver, which
        # at-least-once allows). Should this fail, the leases simply expire.
        try:
            async with asyncio.timeout(_HAND_BACK_SECONDS):
                await self._pool.execute(
                    _HAND_BACK, [d.id for d in deliveries], [d.attempt for d in deliveries]
                )
        except Exception:
            log.exception(
                "could not hand back %d deliveries; their leases will expire", len(deliveries)
            )

    async def claim(self) -> list[Claimed]:
        """Lease as many due deliveries as the free slots allow."""
        free = self._max_in_flight - sum(self._in_flight.values())
        if free <= 0:
            return []
        busy = [(s, n) for s, n in self._in_flight.items() if n > 0]
        # Chosen and leased in one statement: the lease re-checks each row, so a delivery
        # another notifier leased meanwhile is skipped, as with a separate UPDATE.
        records = await self._pool.fetch(
            _CLAIM,
            free,
            self._per_subscription,
            [s for s, _ in busy],
            [n for _, n in busy],
            self._lease,
        )
        return [
            Claimed(
                id=r["id"],
                subscription_id=r["subscription_id"],
                message_id=r["message_id"],
                body=bytes(r["body"]),
                attempt=r["attempts"],
                url=r["url"],
                secrets=list(r["secrets"]),
            )
            for r in records
        ]

    def _start(self, delivery: Claimed) -> None:
        self._in_flight[delivery.subscription_id] += 1
        task = asyncio.create_task(self._deliver(delivery))
        self._tasks[task] = delivery

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.pop(finished, None)
            self._in_flight[delivery.subscription_id] -= 1
            self._wake.set()  # the next event of this incident may now go

        task.add_done_callback(done)

    async def _deliver(self, delivery: Claimed) -> None:
        started = datetime.now(tz=UTC)
        clock = time.perf_counter()
        outcome = await self._attempt(delivery)
        latency_ms = (time.perf_counter() - clock) * 1000
        try:
            await self._record(delivery, started, latency_ms, outcome)
        except Exception:
            # The lease expires and the delivery is tried again: at least once, never lost.
            log.exception("could not record the outcome of delivery %s", delivery.id)

    async def _attempt(self, delivery: Claimed) -> Outcome:
        try:
            # The whole exchange within the timeout: the client's own timeouts bound each read and
            # write, so a receiver dribbling out its answer would outlast them (and the lease).
            async with asyncio.timeout(self._timeout):
                await check_url(delivery.url, self._allowlist)
                timestamp = datetime.now(tz=UTC)
                signature = sign(delivery.message_id, timestamp, delivery.body, delivery.secrets)
                headers = {
                    "content-type": CONTENT_TYPE,
                    "webhook-id": delivery.message_id,
                    "webhook-timestamp": str(int(timestamp.timestamp())),
                    "webhook-signature": signature,
                    "user-agent": "irm-notifier/0.1",
                }
                answer = await self._clients.post(
                    delivery.subscription_id, delivery.url, delivery.body, headers
                )
                code = answer.status_code
                retry_after = _retry_after(answer) if code in (429, 503) else None
                return Outcome(status_code=code, error=None, retry_after=retry_after)
        except UnsafeUrlError as error:
            return Outcome(
                status_code=None, error=f"refused by the URL guard: {error}", retry_after=None
            )
        except TimeoutError:
            return Outcome(status_code=None, error="timed out", retry_after=None)
        except SendFailedError as error:
            return Outcome(status_code=None, error=str(error), retry_after=None)

    async def _record(
        self, delivery: Claimed, started: datetime, latency_ms: float, outcome: Outcome
    ) -> None:
        attempt = functools.partial(
            AttemptOutcome,
            delivery_id=delivery.id,
            attempt=delivery.attempt,
            started_at=started,
            status_code=outcome.status_code,
            latency_ms=latency_ms,
            error=outcome.error,
        )
        if outcome.succeeded:
            await self._outcomes.record(attempt(status="succeeded"))
        elif outcome.status_code == 410:
            async with self._pool.acquire() as conn, conn.transaction():
                await record_outcomes(conn, [attempt(status="failed")])
                await set_status(
                    conn, delivery.subscription_id, "disabled", "the receiver answered 410 Gone"
                )
        elif delivery.attempt >= len(self._schedule):
            await self._outcomes.record(attempt(status="failed"))
        else:
            retry_in = self._next_delay(delivery.attempt, outcome)
            await self._outcomes.record(attempt(status="pending", retry_in=retry_in))

    def _next_delay(self, attempts_made: int, outcome: Outcome) -> timedelta:
        scheduled = self._schedule[attempts_made]
        # ±10 % jitter spreads retries of many deliveries that failed together.
        jittered = scheduled * random.uniform(0.9, 1.1)  # noqa: S311 - not for security
        if outcome.retry_after is not None:
            return max(jittered, outcome.retry_after)
        return jittered


def _retry_after(answer: Answer) -> timedelta | None:
    value = answer.retry_after
    if not value:
        return None
    try:
        delay = timedelta(seconds=float(value))
    except ValueError:
        try:
            delay = parsedate_to_datetime(value) - datetime.now(tz=UTC)
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), _MAX_RETRY_AFTER)
