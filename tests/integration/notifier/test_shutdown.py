"""Stopping: a sender asked to stop stops, even when it is woken at the same moment (a
delivery finishing, a new one queued), so `irm notifier` and `irm serve` always shut down."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings
from tests.integration.notifier.conftest import FAST_NOTIFIER

ROUNDS = 20


async def test_a_sender_woken_as_it_is_cancelled_still_stops(
    pool: asyncpg.Pool, database_url: str
) -> None:
    settings = NotifierSettings(database_url=database_url, **FAST_NOTIFIER)
    wake = asyncio.Event()
    async with httpx.AsyncClient() as http:
        sender = Sender(pool, http, settings, wake=wake)
        for _ in range(ROUNDS):
            running = asyncio.create_task(sender.run())
            await asyncio.sleep(0.1)  # nothing is queued: it is waiting to be woken
            wake.set()
            running.cancel()
            done, _ = await asyncio.wait([running], timeout=10)
            assert done, "the sender kept running after it was cancelled"
            with pytest.raises(asyncio.CancelledError):
                running.result()
