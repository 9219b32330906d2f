"""The notifier's once-only part (queueing and the reminder scan) runs on one replica at a time:
of two notifiers, one holds the `notifier once-only` lock. When its lock session ends (a network
cut, a database failover), it stops that part and a replica takes the lock again, and every
event is still queued exactly once and delivered."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import asyncpg
import httpx
import pytest

from services.notifier.runner import ONCE_ONLY
from shared.active_standby import CHECK_S, CHECK_TIMEOUT_S
from shared.eventstore.store import EventStore
from shared.webhooks.message import message_id
from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    post_internal,
    subscribe,
)

LOCK_SESSION = "irm-notifier-once-only-lock"
TAKEN_AGAIN_WITHIN_S = 5.0


async def lock_holders(pool: asyncpg.Pool) -> int:
    """How many sessions hold the once-only lock right now."""
    return int(
        await pool.fetchval(
            """SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1
                 AND a.datname = current_database()""",
            LOCK_SESSION,
        )
    )


async def test_one_notifier_holds_the_once_only_work_and_another_takes_it_when_its_session_ends(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
    pool: asyncpg.Pool,
    store: EventStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="shared.active_standby")
    receiver = await receivers()
    await subscribe(client, admin, receiver.url)
    async with notifier(), notifier():
        incident_id = await declare(client, alice)
        await post_internal(client, alice, incident_id, 5)
        await receiver.wait_for(lambda r: len(r.message_ids) >= 6, what="the first events")
        roles = [r.getMessage() for r in caplog.records if r.getMessage().startswith(ONCE_ONLY)]
        assert sorted(m.split(":")[0] for m in roles) == [
            f"{ONCE_ONLY} active",
            f"{ONCE_ONLY} standby",
        ]
        assert await lock_holders(pool) == 1

        ended = await pool.fetchval(
            """SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
               JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1
                 AND a.datname = current_database()""",
            LOCK_SESSION,
        )
        assert ended == 1
        give_up = time.monotonic() + TAKEN_AGAIN_WITHIN_S
        while sum(f"{ONCE_ONLY} active" in r.getMessage() for r in caplog.records) < 2:
            assert time.monotonic() < give_up, "nobody took the once-only lock again"
            await asyncio.sleep(0.05)
        # The standby may take the lock before the old holder's next connection check (every
        # CHECK_S) notices that its session ended: wait for that line too, within the check's
        # own time-out, instead of reading the log at the instant of the takeover.
        give_up = time.monotonic() + CHECK_S + CHECK_TIMEOUT_S
        while not any(f"{ONCE_ONLY} lost its lock" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < give_up, "the old holder never noticed it lost its lock"
            await asyncio.sleep(0.05)

        await post_internal(client, alice, incident_id, 5)
        log = await store.read_log(after=0, limit=1_000)
        expected = {message_id(e) for e in log}
        await receiver.wait_for(lambda r: expected <= r.message_ids, what="every event")
        assert await lock_holders(pool) == 1

    queued = await pool.fetch("SELECT message_id FROM irm_deliveries")
    assert Counter(r["message_id"] for r in queued) == Counter(expected), "each queued once"
    assert receiver.message_ids == expected
