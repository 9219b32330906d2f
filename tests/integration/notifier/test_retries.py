"""Failed attempts are retried with the same message; the delivery log shows every attempt;
Retry-After is honoured on 429 and 503; an exhausted schedule leaves a redeliverable failure."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import httpx

from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    delivery_log,
    settled,
    subscribe,
)
from tests.integration.notifier.receiver import (
    Received,
    Reply,
    Responder,
    always,
    eventually,
    open_message,
)

DECLARED_ONLY = ["incident.declared"]


def fail_first(times: int, status: int = 500, **headers: str) -> Responder:
    """Answer `status` to the first `times` requests of each message, then 200."""
    seen: Counter[str] = Counter()

    def respond(received: Received) -> Reply:
        seen[received.message_id] += 1
        if seen[received.message_id] <= times:
            return Reply(status, {k.replace("_", "-"): v for k, v in headers.items()})
        return Reply(200)

    return respond


async def only_delivery(pool: asyncpg.Pool) -> dict[str, Any]:
    """The one delivery these tests queue, with its attempts."""
    row = await pool.fetchrow("SELECT * FROM irm_deliveries")
    assert row is not None
    attempts = await pool.fetch(
        "SELECT * FROM irm_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt", row["id"]
    )
    return {**dict(row), "attempt_log": [dict(a) for a in attempts]}


async def test_two_500s_then_200_is_one_message_sent_three_times_and_logged_so(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers(fail_first(2, 500))
    subscription = await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.2,0.2,0.5"):
        await declare(client, alice)
        await receiver.wait_for(lambda r: len(r.acked()) == 1, what="the third attempt's 200")
        await eventually(
            lambda: _log_shows(client, admin, subscription["id"], "succeeded"),
            what="the success in the delivery log",
        )

    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert len({r.message_id for r in receiver.requests}) == 1, "the same webhook-id each time"
    assert len({r.body for r in receiver.requests}) == 1, "the same body each time"
    for received in receiver.requests:
        assert open_message(received, subscription["secret"]).get_id() == received.message_id

    (delivery,) = await delivery_log(client, admin, subscription["id"])
    assert delivery["message_id"] == receiver.requests[0].message_id
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 3
    assert [a["attempt"] for a in delivery["attempt_log"]] == [1, 2, 3]
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 200]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempt_log"])
    assert delivery["next_attempt_at"] is None


async def _log_shows(client: httpx.AsyncClient, admin: Headers, sub_id: str, status: str) -> bool:
    log = await delivery_log(client, admin, sub_id)
    return bool(log) and all(d["status"] == status for d in log)


async def test_an_exhausted_schedule_fails_the_delivery_and_it_can_be_redelivered(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers(always(500))
    subscription = await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.1,0.1"):
        await declare(client, alice)
        await eventually(
            lambda: _log_shows(client, admin, subscription["id"], "failed"),
            what="the delivery given up",
        )
        (failed,) = await delivery_log(client, admin, subscription["id"])
        assert [a["status_code"] for a in failed["attempt_log"]] == [500, 500, 500]
        assert failed["last_status_code"] == 500
        assert len(receiver.requests) == 3, "no attempt after the schedule ran out"

        receiver.responder = always(200)
        answer = await client.post(
            f"/v1/subscriptions/{subscription['id']}/deliveries/{failed['id']}/redeliver",
            headers=admin,
        )
        assert answer.status_code == 202, answer.text
        await receiver.wait_for(lambda r: len(r.acked()) == 1, what="the redelivery")

    first, redelivered = receiver.requests[0], receiver.requests[-1]
    assert redelivered.message_id == first.message_id
    assert redelivered.body == first.body
    open_message(redelivered, subscription["secret"])
    log = await delivery_log(client, admin, subscription["id"])
    assert [(d["cause"], d["message_id"]) for d in log] == [
        ("live", first.message_id),
        ("redeliver", first.message_id),
    ]
    assert log[1]["id"] == answer.json()["delivery_id"]


async def _first_attempt_recorded(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM irm_delivery_attempts WHERE attempt = 1"))


async def test_retry_after_in_seconds_on_429_puts_the_next_attempt_that_far_out(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    pool: asyncpg.Pool,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers(always(429, retry_after="120"))
    await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.1,0.1"):
        await declare(client, alice)
        await eventually(lambda: _first_attempt_recorded(pool), what="the 429 recorded")
        delivery = await only_delivery(pool)

    (attempt,) = delivery["attempt_log"]
    assert attempt["status_code"] == 429
    assert delivery["status"] == "pending"
    assert delivery["next_attempt_at"] >= attempt["started_at"] + timedelta(seconds=120)
    assert len(receiver.requests) == 1


async def test_retry_after_as_an_http_date_on_503_is_honoured(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    pool: asyncpg.Pool,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    not_before = (datetime.now(tz=UTC) + timedelta(minutes=10)).replace(microsecond=0)
    receiver = await receivers(always(503, retry_after=format_datetime(not_before, usegmt=True)))
    await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.1,0.1"):
        await declare(client, alice)
        await eventually(lambda: _first_attempt_recorded(pool), what="the 503 recorded")
        delivery = await only_delivery(pool)

    assert delivery["attempt_log"][0]["status_code"] == 503
    assert delivery["status"] == "pending"
    assert delivery["next_attempt_at"] >= not_before
    assert len(receiver.requests) == 1


async def test_retry_after_on_a_500_is_not_a_reason_to_wait(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers(fail_first(1, 500, retry_after="3600"))
    await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.1,0.1"):
        await declare(client, alice)
        await receiver.wait_for(lambda r: len(r.acked()) == 1, what="the retry on schedule")
    assert [r.status for r in receiver.requests] == [500, 200]


async def test_a_redirect_is_a_failure_and_is_not_followed(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    elsewhere = await receivers()
    receiver = await receivers(always(302, location=elsewhere.url))
    subscription = await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.1"):
        await declare(client, alice)
        await eventually(
            lambda: _log_shows(client, admin, subscription["id"], "failed"),
            what="the delivery given up",
        )
    (delivery,) = await delivery_log(client, admin, subscription["id"])
    assert [a["status_code"] for a in delivery["attempt_log"]] == [302, 302]
    assert elsewhere.requests == []


async def test_an_answer_that_takes_longer_than_the_timeout_is_a_failed_attempt(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    never = Reply(200, gate=asyncio.Event())  # never set: the receiver never answers
    receiver = await receivers(lambda _: never)
    subscription = await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0,0.1", webhook_timeout=0.5):
        await declare(client, alice)
        await eventually(
            lambda: _log_shows(client, admin, subscription["id"], "failed"),
            what="the delivery given up",
        )
    (delivery,) = await delivery_log(client, admin, subscription["id"])
    assert [(a["status_code"], a["error"]) for a in delivery["attempt_log"]] == [
        (None, "timed out"),
        (None, "timed out"),
    ]
    assert len(receiver.requests) == 2


async def test_an_answer_dribbled_out_past_the_timeout_is_a_failed_attempt(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    # Each byte comes well within the timeout, the whole answer well after it.
    receiver = await receivers(lambda _: Reply(200, dribble=0.1))
    subscription = await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_retry_schedule="0", webhook_timeout=1.0):
        await declare(client, alice)
        await eventually(
            lambda: settled(client, admin, subscription["id"]),
            what="the attempt's outcome",
        )
    (delivery,) = await delivery_log(client, admin, subscription["id"])
    assert [(a["status_code"], a["error"]) for a in delivery["attempt_log"]] == [
        (None, "timed out")
    ]


async def test_the_url_guard_is_asked_again_before_every_attempt(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    # The API admitted loopback when the subscription was made; this notifier does not.
    receiver = await receivers()
    subscription = await subscribe(client, admin, receiver.url, event_types=DECLARED_ONLY)
    async with notifier(webhook_allowed_targets="", webhook_retry_schedule="0,0.1"):
        await declare(client, alice)
        await eventually(lambda: settled(client, admin, subscription["id"]), what="the refusals")
    (delivery,) = await delivery_log(client, admin, subscription["id"])
    assert delivery["status"] == "failed"
    errors = [a["error"] for a in delivery["attempt_log"]]
    assert len(errors) == 2
    assert all(e.startswith("refused by the URL guard") for e in errors), errors
    assert receiver.requests == []
