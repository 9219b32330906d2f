"""Stopping: a sender asked to stop stops, even when it is woken at the same moment (a
delivery finishing, a new one queued), so `irm notifier` and `irm serve` always shut down; and
what it was sending goes back to the queue at once, not when its lease runs out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.notifier.origin_pools import OriginClients
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings
from tests.integration.notifier.conftest import (
    FAST_NOTIFIER,
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    subscribe,
)
from tests.integration.notifier.receiver import Receiver, Reply, eventually

ROUNDS = 20
# Long enough that a delivery still leased by the stopped notifier could not be sent again
# while the test waits for it (the receiver's wait gives up after 30 s).
LONG_TIMEOUT = 120.0


async def test_a_sender_woken_as_it_is_cancelled_still_stops(
    pool: asyncpg.Pool, database_url: str
) -> None:
    settings = NotifierSettings(database_url=database_url, **FAST_NOTIFIER)
    wake = asyncio.Event()
    clients = OriginClients(settings.allowlist(), connections=4, timeout=1)
    try:
        sender = Sender(pool, clients, settings, wake=wake)
        for _ in range(ROUNDS):
            running = asyncio.create_task(sender.run())
            await asyncio.sleep(0.1)  # nothing is queued: it is waiting to be woken
            wake.set()
            running.cancel()
            done, _ = await asyncio.wait([running], timeout=10)
            assert done, "the sender kept running after it was cancelled"
            with pytest.raises(asyncio.CancelledError):
                running.result()
    finally:
        await clients.aclose()


@dataclass
class InFlight:
    """A notifier running with one delivery held at the receiver, unanswered until released."""

    receiver: Receiver
    release: asyncio.Event


@pytest_asyncio.fixture(loop_scope="session")
async def one_held(
    client: httpx.AsyncClient, admin: Headers, receivers: ReceiverFactory
) -> InFlight:
    """A subscription whose receiver holds every request until released."""
    release = asyncio.Event()
    receiver = await receivers(lambda _: Reply(200, gate=release))
    await subscribe(client, admin, receiver.url)
    return InFlight(receiver, release)


@asynccontextmanager
async def sending(
    notifier: NotifierFactory, client: httpx.AsyncClient, alice: Headers, held: InFlight
) -> AsyncIterator[None]:
    """A notifier whose first delivery is in flight (held) for the duration of the block."""
    async with notifier(webhook_timeout=LONG_TIMEOUT):
        await declare(client, alice)
        await held.receiver.wait_for(lambda r: len(r.requests) == 1, what="a delivery in flight")
        yield


async def test_a_delivery_in_flight_at_shutdown_is_handed_back_uncounted(
    client: httpx.AsyncClient,
    alice: Headers,
    pool: asyncpg.Pool,
    notifier: NotifierFactory,
    one_held: InFlight,
) -> None:
    async with sending(notifier, client, alice, one_held):
        pass

    handed_back = await pool.fetchrow("SELECT status, attempts, leased_until FROM irm_deliveries")
    assert dict(handed_back) == {"status": "pending", "attempts": 0, "leased_until": None}

    one_held.release.set()
    async with notifier(webhook_timeout=LONG_TIMEOUT):
        await one_held.receiver.wait_for(
            lambda r: len(r.acked()) == 1, what="the delivery, sent again"
        )

        async def recorded() -> bool:
            status: str = await pool.fetchval("SELECT status FROM irm_deliveries")
            return status == "succeeded"

        await eventually(recorded, what="the delivery's success recorded")
    assert await pool.fetchval("SELECT attempts FROM irm_deliveries") == 1


async def test_a_delivery_leased_again_by_another_notifier_is_not_handed_back(
    client: httpx.AsyncClient,
    alice: Headers,
    pool: asyncpg.Pool,
    notifier: NotifierFactory,
    one_held: InFlight,
) -> None:
    async with sending(notifier, client, alice, one_held):
        # As another notifier would after this one's lease ran out: a lease of its own and
        # one more attempt counted.
        await pool.execute(
            """UPDATE irm_deliveries
               SET attempts = attempts + 1, leased_until = now() + interval '1 hour'"""
        )
    one_held.release.set()

    theirs = await pool.fetchrow("SELECT attempts, leased_until FROM irm_deliveries")
    assert theirs["attempts"] == 2
    assert theirs["leased_until"] is not None
