"""A subscription's delivery log: newest first, in pages, by status, with every attempt."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
from cloudevents.core.bindings.http import HTTPMessage, from_structured_event
from standardwebhooks.webhooks import Webhook

from shared.webhooks.deliveries import NewDelivery, queue_deliveries
from tests.api.conftest import Headers, declare
from tests.api.subscription_helpers import closed_port, log_of, quick_notifier, subscribe


async def queue(pool: asyncpg.Pool, subscription_id: str, count: int) -> list[str]:
    """Queue `count` deliveries straight into the table; returns their message ids in order."""
    incident = uuid.uuid4()
    new = [
        NewDelivery(
            subscription_id=uuid.UUID(subscription_id),
            incident_id=incident,
            position=100 + n,
            event_version=n,
            event_type="incident.escalated",
            message_id=f"msg_{n:032x}",
            body=b"{}",
            cause="live",
        )
        for n in range(1, count + 1)
    ]
    async with pool.acquire() as conn, conn.transaction():
        await queue_deliveries(conn, new)
    return [d.message_id for d in new]


async def test_the_delivery_log_pages_newest_first(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    subscription = await subscribe(api, root)
    queued = await queue(pool, subscription["id"], 5)
    path = f"/v1/subscriptions/{subscription['id']}/deliveries"

    pages = [(await api.get(path, params={"limit": 2}, headers=root)).json()]
    while pages[-1]["next_before"] is not None:
        before = pages[-1]["next_before"]
        response = await api.get(path, params={"limit": 2, "before": before}, headers=root)
        pages.append(response.json())

    assert [[d["message_id"] for d in p["items"]] for p in pages] == [
        queued[4:2:-1],
        queued[2:0:-1],
        queued[:1],
    ]
    assert pages[-1]["next_before"] is None


async def test_the_default_page_holds_fifty(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    subscription = await subscribe(api, root)
    queued = await queue(pool, subscription["id"], 51)

    page = (
        await api.get(f"/v1/subscriptions/{subscription['id']}/deliveries", headers=root)
    ).json()

    assert [d["message_id"] for d in page["items"]] == queued[:0:-1]
    assert page["next_before"] is not None
    assert len(await log_of(api, root, subscription["id"])) == 51


async def test_the_delivery_log_filters_by_status(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    subscription = await subscribe(api, root)
    queued = await queue(pool, subscription["id"], 5)
    await pool.execute(
        "UPDATE irm_deliveries SET status = 'succeeded', completed_at = now() "
        "WHERE message_id = any($1::text[])",
        queued[1:3],
    )

    succeeded = await log_of(api, root, subscription["id"], status="succeeded", limit=1)
    pending = await log_of(api, root, subscription["id"], status="pending")
    failed = await log_of(api, root, subscription["id"], status="failed")

    assert [d["message_id"] for d in succeeded] == queued[1:3]
    assert all(d["completed_at"] is not None and d["next_attempt_at"] is None for d in succeeded)
    assert [d["message_id"] for d in pending] == [queued[0], *queued[3:]]
    assert all(d["next_attempt_at"] is not None for d in pending)
    assert failed == []


class Receiver:
    """A webhook receiver on loopback that answers each request with the next status given."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one request, remember it, answer it and close the connection."""
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        lines = [line for line in head.split("\r\n")[1:] if line]
        headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((headers, body))
        status = self.statuses.pop(0) if self.statuses else 204
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


async def settled(
    api: httpx.AsyncClient, headers: Headers, subscription_id: str, count: int
) -> list[dict[str, Any]]:
    """The subscription's deliveries once `count` of them exist and none is pending."""
    async with asyncio.timeout(60):
        while True:
            deliveries = await log_of(api, headers, subscription_id)
            if len(deliveries) == count and all(d["status"] != "pending" for d in deliveries):
                return deliveries
            await asyncio.sleep(0.05)


async def test_the_log_shows_every_attempt_of_live_deliveries(
    api: httpx.AsyncClient, pool: asyncpg.Pool, database_url: str, root: Headers, alice: Headers
) -> None:
    receiver = Receiver([500])
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    healthy = await subscribe(api, root, url=f"http://127.0.0.1:{port}/hooks")
    dead = await subscribe(api, root, url=f"http://127.0.0.1:{await closed_port()}/hooks")

    async with server, quick_notifier(pool, database_url):
        incident = await declare(api, alice)
        [delivered] = await settled(api, root, healthy["id"], 1)
        [given_up] = await settled(api, root, dead["id"], 1)

    assert (delivered["status"], delivered["attempts"], delivered["cause"]) == (
        "succeeded",
        2,
        "live",
    )
    assert [(a["attempt"], a["status_code"], a["error"]) for a in delivered["attempt_log"]] == [
        (1, 500, None),
        (2, 204, None),
    ]
    assert all(a["latency_ms"] >= 0 for a in delivered["attempt_log"])
    first, second = delivered["attempt_log"]
    assert first["started_at"] <= second["started_at"]
    assert delivered["last_status_code"] == 204
    assert delivered["completed_at"] is not None
    assert delivered["incident_id"] == incident["id"]
    assert delivered["event_type"] == "incident.declared"

    assert (given_up["status"], given_up["attempts"], given_up["last_status_code"]) == (
        "failed",
        2,
        None,
    )
    assert [a["status_code"] for a in given_up["attempt_log"]] == [None, None]
    assert all(a["error"] for a in given_up["attempt_log"])
    assert given_up["last_error"] == given_up["attempt_log"][-1]["error"]
    assert given_up["message_id"] == delivered["message_id"]

    assert len(receiver.requests) == 2
    for headers, body in receiver.requests:
        assert headers["webhook-id"] == delivered["message_id"]
        assert headers["content-type"] == "application/cloudevents+json"
        Webhook(healthy["secret"]).verify(body, headers)
        event = from_structured_event(HTTPMessage(headers=headers, body=body))
        assert event.get_id() == delivered["message_id"]
        assert event.get_subject() == incident["id"]
    assert receiver.requests[0][1] == receiver.requests[1][1]
