"""A receiver that is down for a while (its port closed) gets everything once it is back, in
order per incident."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.integration.notifier.conftest import (
    LIFECYCLE,
    Headers,
    NotifierFactory,
    ReceiverFactory,
    command,
    declare,
    delivery_log,
    events_of,
    post_internal,
    settled,
    subscribe,
)
from tests.integration.notifier.receiver import (
    eventually,
    first_arrivals,
    open_message,
    sent_out_of_order,
)

# Enough quick retries to outlast the outage without being given up.
PATIENT = ",".join(["0", "0.2", "0.2", "0.5", "0.5"] + ["1"] * 60)


async def _refused_attempts(pool: asyncpg.Pool, incidents: int) -> bool:
    """Whether the notifier has tried, and failed to connect, for this many incidents."""
    found = await pool.fetchval(
        """SELECT count(DISTINCT d.incident_id) FROM irm_delivery_attempts a
           JOIN irm_deliveries d ON d.id = a.delivery_id
           WHERE a.status_code IS NULL AND a.error IS NOT NULL"""
    )
    return int(found) >= incidents


async def test_a_receiver_that_was_down_gets_everything_in_order_when_it_is_back(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    pool: asyncpg.Pool,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers()
    subscription = await subscribe(client, admin, receiver.url)
    async with notifier(webhook_retry_schedule=PATIENT):
        first = await declare(client, alice, title="Checkout")
        await receiver.wait_for(lambda r: len(r.acked()) == 1, what="the first event")

        await receiver.stop()
        second = await declare(client, alice, title="Search")

        async def story(incident_id: str) -> None:
            await post_internal(client, alice, incident_id, 2)
            for path, body in LIFECYCLE:
                await command(client, alice, incident_id, path, body)

        await asyncio.gather(story(first), story(second))
        await eventually(lambda: _refused_attempts(pool, 2), what="attempts on a closed port")

        await receiver.start()
        total = 2 * 8
        await receiver.wait_for(lambda r: len(r.message_ids) == total, what="every event")
        await eventually(lambda: settled(client, admin, subscription["id"]))

    assert first_arrivals(receiver.requests) == {
        first: list(range(1, 9)),
        second: list(range(1, 9)),
    }
    assert sent_out_of_order(receiver.requests) == []
    assert receiver.acked() == receiver.requests, "only successes once it was back"
    for incident_id in (first, second):
        stored = await events_of(client, alice, incident_id)
        got = [r for r in receiver.requests if r.incident_id == incident_id]
        assert [
            open_message(r, subscription["secret"]).get_extension("irmposition") for r in got
        ] == [e["position"] for e in stored]
    log = await delivery_log(client, admin, subscription["id"])
    assert all(d["status"] == "succeeded" for d in log)
    refused = [a for d in log for a in d["attempt_log"] if a["status_code"] is None]
    assert refused, "the outage shows in the delivery log"
    assert all(a["error"] for a in refused)
