"""The kill drill: `irm notifier` is SIGKILLed mid-stream again and again while events keep
being appended. Every event still reaches the receiver at least once, in order per incident,
and a message sent twice carries the same webhook-id and the same body both times."""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter, defaultdict
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.webhooks.message import message_id
from shared.webhooks.subscriptions import create_subscription
from tests.e2e.conftest import IRM, irm_env, wait_for_log_line
from tests.integration.notifier.receiver import (
    Receiver,
    first_arrivals,
    open_message,
    sent_out_of_order,
)

pytestmark = pytest.mark.slow

KILLS = 10
STARTED_LINE = "notifier queueing after position"
INCIDENTS = 5
NOTIFIER_ENV = {
    "IRM_WEBHOOK_ALLOWED_TARGETS": "127.0.0.0/8,::1",
    "IRM_WEBHOOK_RETRY_SCHEDULE": "0,0.2,0.2,0.5,1,1,1,1,1,1,1,1",
    "IRM_WEBHOOK_TIMEOUT": "1",
    "IRM_NOTIFIER_IDLE_TIMEOUT": "0.2",
    # INFO, so each notifier's "queueing after position" line shows it is up.
    "IRM_LOG_LEVEL": "INFO",
}


async def keep_appending(repository: IncidentRepository, stop: asyncio.Event) -> None:
    """Declare a few incidents, then post updates to them until told to stop."""
    alice = Actor("alice")
    incidents = [
        Incident.declare(
            actor=alice, number=n, title=f"Incident {n}", criteria=["customer_sla_at_risk"]
        )
        for n in range(1, INCIDENTS + 1)
    ]
    for incident in incidents:
        await repository.save(incident)
    rng = random.Random(7)
    n = 0
    while not stop.is_set():
        incident = rng.choice(incidents)
        incident.post_update(alice, audience="internal", body=f"update {n}")
        await repository.save(incident)
        n += 1
        await asyncio.sleep(0.05)


def has_received(count: int, receiver: Receiver) -> bool:
    """Whether the receiver has had `count` requests or more."""
    return len(receiver.requests) >= count


async def test_sigkilled_notifiers_lose_nothing_and_duplicates_are_the_same_message(
    database_url: str,
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    tmp_path: Path,
) -> None:
    receiver = Receiver()
    await receiver.start()
    _, secret = await create_subscription(
        pool,
        url=receiver.url,
        event_types=["incident.*"],
        severities=[],
        description="kill drill",
        created_by="test",
    )
    env = irm_env(IRM_DATABASE_URL=database_url, **NOTIFIER_ENV)
    stderr = (tmp_path / "notifier.err").open("wb")
    rng = random.Random(11)

    async def start_notifier() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            IRM, "notifier", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )

    stop = asyncio.Event()
    appending = asyncio.create_task(keep_appending(repository, stop))
    process = None
    try:
        for started in range(1, KILLS + 1):
            more = rng.randint(5, 40)
            process = await start_notifier()
            # Up first: requests the killed one had in flight may still be arriving, and
            # counting them would kill this one before it has started.
            await wait_for_log_line(
                tmp_path / "notifier.err", STARTED_LINE, times=started, within=60
            )
            seen = len(receiver.requests)
            # Mid-stream: after this notifier has sent a few messages, at a random moment.
            await receiver.wait_for(
                partial(has_received, seen + more),
                within=60,
                what="the new notifier sending",
            )
            await asyncio.sleep(rng.uniform(0, 0.05))
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
        stop.set()
        await appending

        log = await store.read_log(after=0, limit=1_000_000)
        expected = {message_id(e) for e in log}
        process = await start_notifier()
        await receiver.wait_for(
            lambda r: expected <= {q.message_id for q in r.acked()},
            within=120,
            what="every event after the drill",
        )
        # The earlier notifiers may have sent everything already: make sure this one is up
        # (past start-up, its signal handlers installed) before asking it to stop.
        await wait_for_log_line(
            tmp_path / "notifier.err",
            STARTED_LINE,
            times=KILLS + 1,
            within=60,
        )
        process.send_signal(signal.SIGTERM)
        assert await process.wait() == 0
    finally:
        stop.set()
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await appending
        await receiver.stop()
        stderr.close()

    assert receiver.message_ids == expected, "every event at least once, nothing else"
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for received in receiver.requests:
        bodies[received.message_id].add(received.body)
        assert open_message(received, secret).get_id() == received.message_id
    assert all(len(b) == 1 for b in bodies.values()), "a duplicate is the same message"
    streams = Counter(str(e.originator_id) for e in log)
    assert first_arrivals(receiver.requests) == {
        incident_id: list(range(1, length + 1)) for incident_id, length in streams.items()
    }, "first arrivals in version order"
    assert sent_out_of_order(receiver.requests) == []
    queued_twice = await pool.fetch(
        "SELECT message_id FROM irm_deliveries GROUP BY message_id HAVING count(*) > 1"
    )
    assert queued_twice == [], "each event was queued exactly once, whatever the kills"
