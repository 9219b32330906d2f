"""A 410 disables the subscription; after resume, redeliver re-sends the same message and
replay re-sends history from a log position, in order, with the original ids and bodies."""

from __future__ import annotations

import httpx

from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    delivery_log,
    events_of,
    post_internal,
    settled,
    subscribe,
    subscription_status,
)
from tests.integration.notifier.receiver import (
    Received,
    Reply,
    eventually,
    first_arrivals,
    open_message,
)


async def test_410_disables_then_redeliver_and_replay_send_the_original_messages(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    gone = True

    def respond(_: Received) -> Reply:
        return Reply(410 if gone else 200)

    leaving = await receivers(respond)
    witness = await receivers()
    subscription = await subscribe(client, admin, leaving.url)
    witness_id = (await subscribe(client, admin, witness.url))["id"]
    sub_id = subscription["id"]

    async with notifier():
        incident_id = await declare(client, alice)
        await leaving.wait_for(lambda r: len(r.requests) == 1, what="the first message")
        await eventually(lambda: _disabled(client, admin, sub_id), what="the subscription disabled")
        disabled = await subscription_status(client, admin, sub_id)
        assert disabled["disabled_reason"], "says why"

        # More events: the witness gets them all; the disabled subscription gets nothing.
        await post_internal(client, alice, incident_id, 4)
        await witness.wait_for(lambda r: len(r.acked()) == 5, what="the witness's five")
        await eventually(lambda: settled(client, admin, witness_id))
        assert len(leaving.requests) == 1, "no delivery after the 410"
        log = await delivery_log(client, admin, sub_id)
        assert [d["event_version"] for d in log] == [1], "nothing queued while disabled"
        assert log[0]["status"] == "failed"
        assert log[0]["last_status_code"] == 410
        assert [a["status_code"] for a in log[0]["attempt_log"]] == [410]
        events = await events_of(client, alice, incident_id)

        gone = False
        resumed = await client.post(f"/v1/subscriptions/{sub_id}/resume", headers=admin)
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "active"
        assert resumed.json()["disabled_reason"] is None

        answer = await client.post(
            f"/v1/subscriptions/{sub_id}/deliveries/{log[0]['id']}/redeliver", headers=admin
        )
        assert answer.status_code == 202, answer.text
        await leaving.wait_for(
            lambda r: [q.message_id for q in r.acked()].count(r.requests[0].message_id) == 1,
            what="the redelivery",
        )
        redelivered = next(r for r in leaving.acked() if r.version == 1)
        assert redelivered.message_id == leaving.requests[0].message_id
        assert redelivered.body == leaving.requests[0].body
        open_message(redelivered, subscription["secret"])

        before_replay = len(leaving.requests)
        from_position = events[1]["position"]
        answer = await client.post(
            f"/v1/subscriptions/{sub_id}/replay",
            json={"from_position": from_position},
            headers=admin,
        )
        assert answer.status_code == 202, answer.text
        assert answer.json() == {"queued": 4, "events_read": 4, "next_position": None}
        await leaving.wait_for(
            lambda r: len(r.requests) == before_replay + 4, what="the replayed history"
        )
        await eventually(lambda: settled(client, admin, sub_id), what="the replay done")

    replayed = leaving.requests[before_replay:]
    assert [r.version for r in replayed] == [2, 3, 4, 5], "in order"
    original = {r.message_id: r.body for r in witness.requests}
    for r in replayed:
        assert r.message_id in original, "the original id"
        assert r.body == original[r.message_id], "the original message"
        event = open_message(r, subscription["secret"])
        assert event.get_extension("irmposition") >= from_position
    assert first_arrivals(witness.requests) == {incident_id: [1, 2, 3, 4, 5]}
    causes = [d["cause"] for d in await delivery_log(client, admin, sub_id)]
    assert causes.count("redeliver") == 1
    assert causes.count("replay") == 4


async def _disabled(client: httpx.AsyncClient, admin: Headers, sub_id: str) -> bool:
    status: str = (await subscription_status(client, admin, sub_id))["status"]
    return status == "disabled"


async def test_a_paused_subscription_queues_and_sends_everything_on_resume(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    paused, witness = await receivers(), await receivers()
    sub_id = (await subscribe(client, admin, paused.url))["id"]
    witness_id = (await subscribe(client, admin, witness.url))["id"]
    answer = await client.post(f"/v1/subscriptions/{sub_id}/pause", headers=admin)
    assert answer.json()["status"] == "paused"
    async with notifier():
        incident_id = await declare(client, alice)
        await post_internal(client, alice, incident_id, 3)
        await witness.wait_for(lambda r: len(r.acked()) == 4, what="the witness's four")
        await eventually(lambda: settled(client, admin, witness_id))
        assert paused.requests == []
        log = await delivery_log(client, admin, sub_id)
        assert [(d["event_version"], d["status"]) for d in log] == [
            (v, "pending") for v in (1, 2, 3, 4)
        ]

        await client.post(f"/v1/subscriptions/{sub_id}/resume", headers=admin)
        await paused.wait_for(lambda r: len(r.acked()) == 4, what="the queue after resume")

    assert [r.version for r in paused.requests] == [1, 2, 3, 4]
    assert [r.body for r in paused.requests] == [r.body for r in witness.requests]
