"""A dead subscriber (it never answers) next to a healthy one: the healthy one gets all of its
events while the dead one's requests are still hanging, and the dead one holds no more than
its own bounded share of the sender."""

from __future__ import annotations

import asyncio

import httpx

from services.notifier.settings import NotifierSettings
from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    post_internal,
    subscribe,
)
from tests.integration.notifier.receiver import Reply, first_arrivals, sent_out_of_order

INCIDENTS = 8
EVENTS_EACH = 3
PER_SUBSCRIPTION = NotifierSettings.model_fields["webhook_max_in_flight_per_subscription"].default


async def test_a_dead_subscriber_never_delays_a_healthy_one(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    release = asyncio.Event()
    dead = await receivers(lambda _: Reply(200, gate=release))
    healthy = await receivers()
    await subscribe(client, admin, dead.url)
    await subscribe(client, admin, healthy.url)

    # The timeout is far beyond the waits below, so a healthy delivery stuck behind the dead
    # subscriber's requests would fail this test rather than merely arrive late; and the
    # notifier has few slots, so the dead one would take them all if it were not bounded.
    async with notifier(webhook_timeout=120.0, webhook_max_in_flight=PER_SUBSCRIPTION + 2):
        incidents = [await declare(client, alice, title=f"Incident {n}") for n in range(INCIDENTS)]
        for incident_id in incidents:
            await post_internal(client, alice, incident_id, EVENTS_EACH - 1)
        await dead.wait_for(lambda r: r.held == PER_SUBSCRIPTION, what="the dead one's share")
        await healthy.wait_for(
            lambda r: len(r.acked()) == INCIDENTS * EVENTS_EACH, what="every healthy delivery"
        )
        assert dead.held == PER_SUBSCRIPTION, "the dead one's first requests are still hanging"
        assert not dead.acked()
        assert dead.most_held == PER_SUBSCRIPTION, "never more than its own share in flight"

        release.set()
        await dead.wait_for(
            lambda r: len(r.acked()) == INCIDENTS * EVENTS_EACH, what="the dead one, revived"
        )

    every = {i: list(range(1, EVENTS_EACH + 1)) for i in incidents}
    assert first_arrivals(healthy.requests) == every
    assert first_arrivals(dead.requests) == every
    assert sent_out_of_order(dead.requests) == []
    assert dead.most_held == PER_SUBSCRIPTION
