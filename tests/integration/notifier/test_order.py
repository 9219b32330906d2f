"""Per incident and subscriber, event N+1 leaves only after event N succeeded or was given up;
an incident whose event is stuck never holds back the others."""

from __future__ import annotations

import asyncio

import httpx

from tests.integration.notifier.conftest import (
    LIFECYCLE,
    Headers,
    NotifierFactory,
    ReceiverFactory,
    command,
    declare,
    delivery_log,
    post_internal,
    settled,
    subscribe,
)
from tests.integration.notifier.receiver import (
    Received,
    Receiver,
    Reply,
    eventually,
    first_arrivals,
    sent_out_of_order,
)

MANY_QUICK_RETRIES = ",".join(["0"] + ["0.2"] * 100)


async def test_the_next_event_waits_for_the_failing_one_and_other_incidents_do_not(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    stuck: set[str] = set()
    fixed = asyncio.Event()

    def respond(received: Received) -> Reply:
        if received.incident_id in stuck and received.version == 2 and not fixed.is_set():
            return Reply(500)
        return Reply(200)

    receiver = await receivers(respond)
    await subscribe(client, admin, receiver.url)
    async with notifier(webhook_retry_schedule=MANY_QUICK_RETRIES):
        blocked = await declare(client, alice, title="Checkout")
        stuck.add(blocked)
        await post_internal(client, alice, blocked, 4)
        other = await declare(client, alice, title="Search")
        for path, body in LIFECYCLE:
            await command(client, alice, other, path, body)

        def other_done_while_blocked_fails_again(r: Receiver) -> bool:
            attempts = [q for q in r.requests if q.incident_id == blocked and q.version == 2]
            return len(first_arrivals(r.acked()).get(other, [])) == 6 and len(attempts) >= 3

        await receiver.wait_for(other_done_while_blocked_fails_again, what="the other incident")
        got = first_arrivals(receiver.requests)
        assert got[blocked] == [1, 2], "nothing after the failing event left"
        assert got[other] == [1, 2, 3, 4, 5, 6]

        fixed.set()
        await receiver.wait_for(
            lambda r: len(first_arrivals(r.acked()).get(blocked, [])) == 5, what="the rest"
        )

    assert first_arrivals(receiver.requests) == {
        blocked: [1, 2, 3, 4, 5],
        other: [1, 2, 3, 4, 5, 6],
    }
    assert sent_out_of_order(receiver.requests) == []
    v2 = [r.status for r in receiver.requests if r.incident_id == blocked and r.version == 2]
    assert v2[-1] == 200
    assert set(v2[:-1]) == {500}


async def test_the_next_event_goes_once_the_failing_one_is_given_up(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers(lambda r: Reply(500 if r.version == 2 else 200))
    subscription = await subscribe(client, admin, receiver.url)
    async with notifier(webhook_retry_schedule="0,0.1,0.1"):
        incident_id = await declare(client, alice)
        await post_internal(client, alice, incident_id, 2)
        await receiver.wait_for(lambda r: len(r.acked()) == 2, what="versions 1 and 3")
        await eventually(
            lambda: settled(client, admin, subscription["id"]),
            what="the last success recorded",
        )

    versions = [(r.version, r.status) for r in receiver.requests]
    assert versions == [(1, 200), (2, 500), (2, 500), (2, 500), (3, 200)]
    v2, v3 = receiver.requests[1].message_id, receiver.requests[-1]
    assert v3.answered_before[v2] == 3, "version 3 left after version 2's last answer"
    log = await delivery_log(client, admin, subscription["id"])
    assert [(d["event_version"], d["status"]) for d in log] == [
        (1, "succeeded"),
        (2, "failed"),
        (3, "succeeded"),
    ]


async def test_a_burst_on_many_incidents_arrives_in_order_per_incident(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    # Every third request fails once, so retries interleave with first attempts.
    count = 0

    def respond(_: Received) -> Reply:
        nonlocal count
        count += 1
        return Reply(500 if count % 3 == 0 else 200)

    receiver = await receivers(respond)
    subscription = await subscribe(client, admin, receiver.url)
    incidents = [await declare(client, alice, title=f"Incident {n}") for n in range(6)]

    async def story(incident_id: str) -> None:
        await post_internal(client, alice, incident_id, 3)
        for path, body in LIFECYCLE:
            await command(client, alice, incident_id, path, body)

    async with notifier(webhook_retry_schedule=MANY_QUICK_RETRIES):
        await asyncio.gather(*(story(i) for i in incidents))
        await receiver.wait_for(lambda r: len(r.acked()) == 6 * 9, what="every event")
        await eventually(
            lambda: settled(client, admin, subscription["id"]),
            what="the last successes recorded",
        )

    assert first_arrivals(receiver.requests) == {i: list(range(1, 10)) for i in incidents}
    assert sent_out_of_order(receiver.requests) == []
