"""The notifier's connection pools: one per subscription and receiver origin, each sized to
the per-subscription bound, so a receiver that never answers holds only its own connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from services.notifier.aiohttp_pools import AiohttpOriginClients
from services.notifier.origin_pools import OriginClients
from shared.webhooks.url_guard import Allowlist, UnsafeUrlError
from tests.integration.notifier.conftest import ReceiverFactory

LOOPBACK = Allowlist.parse("127.0.0.0/8")
BOUND = 2


@pytest_asyncio.fixture(loop_scope="session")
async def dead_port() -> AsyncIterator[int]:
    """A port on 127.0.0.1 that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def test_a_dead_origin_does_not_hold_up_another(
    receivers: ReceiverFactory, dead_port: int
) -> None:
    receiver = await receivers()
    clients = OriginClients(LOOPBACK, connections=BOUND, timeout=30)
    dead_subscription, live_subscription = uuid.uuid4(), uuid.uuid4()
    dead_url = f"http://127.0.0.1:{dead_port}/hooks"
    try:
        dead = clients.client(dead_subscription, dead_url)
        # Every connection of the dead origin's pool taken, and one more request waiting.
        hanging = [
            asyncio.create_task(dead.post(dead_url, content=b"{}")) for _ in range(BOUND + 1)
        ]
        await asyncio.sleep(0.2)

        live = clients.client(live_subscription, f"http://127.0.0.1:{receiver.port}/hooks")
        async with asyncio.timeout(5):
            response = await live.post(
                f"http://127.0.0.1:{receiver.port}/hooks",
                content=b"{}",
                headers={"webhook-id": "msg_live"},
            )

        assert response.status_code == 200
        assert receiver.message_ids == {"msg_live"}
        assert not any(task.done() for task in hanging)
        assert dead is not live
        for task in hanging:
            task.cancel()
        await asyncio.gather(*hanging, return_exceptions=True)
    finally:
        await clients.aclose()


async def test_one_pool_per_subscription_and_origin() -> None:
    clients = OriginClients(LOOPBACK, connections=BOUND, timeout=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    try:
        a = clients.client(first, "http://127.0.0.1:8080/a")
        assert clients.client(first, "http://127.0.0.1:8080/b?x=1") is a  # same origin
        assert clients.client(first, "http://127.0.0.1:8081/a") is not a  # another port
        assert clients.client(first, "https://127.0.0.1:8080/a") is not a  # another scheme
        assert clients.client(second, "http://127.0.0.1:8080/a") is not a  # another subscription
        assert len(clients) == 4
    finally:
        await clients.aclose()
    assert len(clients) == 0


async def test_pools_unused_for_a_while_are_closed_unless_sending() -> None:
    clients = OriginClients(LOOPBACK, connections=BOUND, timeout=1, idle_close_seconds=0)
    sending, idle = uuid.uuid4(), uuid.uuid4()
    busy = clients.client(sending, "http://127.0.0.1:8080/a")
    unused = clients.client(idle, "http://127.0.0.1:8080/a")

    await clients.close_idle(in_use={sending})

    assert unused.is_closed
    assert not busy.is_closed
    assert len(clients) == 1
    await clients.aclose()


async def test_every_pool_connects_through_the_url_guard(receivers: ReceiverFactory) -> None:
    receiver = await receivers()
    clients = OriginClients(Allowlist(), connections=BOUND, timeout=5)
    url = f"http://127.0.0.1:{receiver.port}/hooks"
    try:
        with pytest.raises(UnsafeUrlError, match=r"127\.0\.0\.1"):
            await clients.client(uuid.uuid4(), url).post(url, content=b"{}")
    finally:
        await clients.aclose()
    assert receiver.requests == []


def test_the_pool_is_sized_to_the_bound() -> None:
    clients = OriginClients(LOOPBACK, connections=BOUND, timeout=1)
    client = clients.client(uuid.uuid4(), "http://127.0.0.1:8080/a")
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == BOUND
    assert isinstance(client, httpx.AsyncClient)


async def test_a_dead_origin_does_not_hold_up_another_on_aiohttp(
    receivers: ReceiverFactory, dead_port: int
) -> None:
    receiver = await receivers()
    clients = AiohttpOriginClients(LOOPBACK, connections=BOUND, timeout=30)
    dead_url = f"http://127.0.0.1:{dead_port}/hooks"
    live_url = f"http://127.0.0.1:{receiver.port}/hooks"
    try:
        dead_subscription = uuid.uuid4()
        hanging = [
            asyncio.create_task(clients.post(dead_subscription, dead_url, b"{}", {}))
            for _ in range(BOUND + 1)
        ]
        await asyncio.sleep(0.2)

        async with asyncio.timeout(5):
            answer = await clients.post(uuid.uuid4(), live_url, b"{}", {"webhook-id": "msg_live"})

        assert answer.status_code == 200
        assert receiver.message_ids == {"msg_live"}
        assert not any(task.done() for task in hanging)
        assert len(clients) == 2
        for task in hanging:
            task.cancel()
        await asyncio.gather(*hanging, return_exceptions=True)
    finally:
        await clients.aclose()


async def test_every_aiohttp_pool_connects_through_the_url_guard(
    receivers: ReceiverFactory,
) -> None:
    """aiohttp does not resolve an IP literal: the session is not opened to a refused one."""
    receiver = await receivers()
    clients = AiohttpOriginClients(Allowlist(), connections=BOUND, timeout=5)
    url = f"http://127.0.0.1:{receiver.port}/hooks"
    try:
        with pytest.raises(UnsafeUrlError, match=r"127\.0\.0\.1"):
            await clients.post(uuid.uuid4(), url, b"{}", {})
    finally:
        await clients.aclose()
    assert receiver.requests == []
    assert len(clients) == 0
