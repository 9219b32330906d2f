"""DNS rebinding: a host name that resolves to a public address when the URL is checked and to
127.0.0.1 when the connection is opened must not carry a webhook into our own network.

The event loop gets a resolver that answers what each test lists, one answer per lookup (the
last one repeats), so the rebinding is exact. Every connection made goes to 127.0.0.1; the
public address is only ever returned, never contacted.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.notifier.aiohttp_pools import AiohttpOriginClients
from services.notifier.guarded_transport import GuardedTransport
from shared.webhooks.url_guard import Allowlist, UnsafeUrlError, check_url
from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    delivery_log,
    subscribe,
)
from tests.integration.notifier.receiver import Receiver, eventually

HOST = "hooks.rebinding.test"
PUBLIC = "93.184.215.14"
NOTHING_ALLOWED = Allowlist()
LIMITS = httpx.Limits(max_connections=4)

Answers = dict[str, list[list[str]]]


@pytest_asyncio.fixture(loop_scope="session")
async def answers(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Answers]:
    """HOST's answers, one list of addresses per lookup; the last repeats. Other names
    resolve as usual."""
    listed: Answers = {}
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host: Any, port: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in listed:
            return await real(host, port, **kwargs)
        queue = listed[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port))) for a in addresses]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    yield listed


def request_headers() -> dict[str, str]:
    return {"webhook-id": "msg_rebinding", "content-type": "application/json"}


async def receiver_behind(
    receivers: ReceiverFactory, answers: Answers, *lookups: list[str]
) -> tuple[Receiver, str]:
    """A receiver on 127.0.0.1, and its URL under HOST, which resolves to `lookups` in turn."""
    receiver = await receivers()
    answers[HOST] = list(lookups)
    return receiver, f"http://{HOST}:{receiver.port}/hooks"


async def test_a_plain_client_follows_the_rebinding(
    receivers: ReceiverFactory, answers: Answers
) -> None:
    """The attack is real: the check sees a public address, the connection goes to loopback."""
    receiver, url = await receiver_behind(receivers, answers, [PUBLIC], ["127.0.0.1"])

    await check_url(url, NOTHING_ALLOWED)
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(url, content=b"{}", headers=request_headers())

    assert response.status_code == 200
    assert receiver.message_ids == {"msg_rebinding"}


async def test_the_guarded_transport_refuses_the_address_it_is_given_at_connection(
    receivers: ReceiverFactory, answers: Answers
) -> None:
    receiver, url = await receiver_behind(receivers, answers, [PUBLIC], ["127.0.0.1"])

    await check_url(url, NOTHING_ALLOWED)
    transport = GuardedTransport(NOTHING_ALLOWED, limits=LIMITS)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(UnsafeUrlError, match=r"127\.0\.0\.1"):
            await client.post(url, content=b"{}", headers=request_headers())

    assert receiver.requests == []


async def test_the_guarded_transport_connects_to_the_address_it_checked(
    receivers: ReceiverFactory, answers: Answers
) -> None:
    """Allowed loopback: the one lookup it makes is the one it connects to. Were the name
    looked up again, the second answer (where nothing listens) would fail the request."""
    receiver, url = await receiver_behind(receivers, answers, ["127.0.0.1"], ["127.0.0.2"])

    transport = GuardedTransport(Allowlist.parse("127.0.0.0/8"), limits=LIMITS)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post(url, content=b"{}", headers=request_headers())

    assert response.status_code == 200
    assert receiver.message_ids == {"msg_rebinding"}


async def test_the_aiohttp_pools_refuse_the_address_they_are_given_at_connection(
    receivers: ReceiverFactory, answers: Answers
) -> None:
    receiver, url = await receiver_behind(receivers, answers, [PUBLIC], ["127.0.0.1"])

    await check_url(url, NOTHING_ALLOWED)
    clients = AiohttpOriginClients(NOTHING_ALLOWED, connections=4, timeout=5)
    try:
        with pytest.raises(UnsafeUrlError, match=r"127\.0\.0\.1"):
            await clients.post(uuid.uuid4(), url, b"{}", request_headers())
    finally:
        await clients.aclose()

    assert receiver.requests == []


async def test_the_aiohttp_pools_connect_to_the_address_they_checked(
    receivers: ReceiverFactory, answers: Answers
) -> None:
    """As the guarded transport: one lookup, and the connection goes to its answer."""
    receiver, url = await receiver_behind(receivers, answers, ["127.0.0.1"], ["127.0.0.2"])

    clients = AiohttpOriginClients(Allowlist.parse("127.0.0.0/8"), connections=4, timeout=5)
    try:
        answer = await clients.post(uuid.uuid4(), url, b"{}", request_headers())
    finally:
        await clients.aclose()

    assert answer.status_code == 200
    assert receiver.message_ids == {"msg_rebinding"}


@pytest.mark.parametrize("http_client", ["httpx", "aiohttp"])
async def test_the_notifier_refuses_a_subscription_whose_name_rebinds_to_loopback(
    http_client: str,
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
    answers: Answers,
) -> None:
    receiver = await receivers()
    # Public when the API saves the subscription and when the notifier checks the URL before
    # its first attempt; loopback from the lookup that opens the connection on.
    answers[HOST] = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]
    subscription = await subscribe(client, admin, f"http://{HOST}:{receiver.port}/hooks")

    async with notifier(webhook_allowed_targets="", webhook_http_client=http_client):
        await declare(client, alice)

        async def attempted() -> bool:
            log = await delivery_log(client, admin, subscription["id"])
            return bool(log) and bool(log[0]["attempt_log"])

        await eventually(attempted, what="a delivery attempt")

    first = (await delivery_log(client, admin, subscription["id"]))[0]["attempt_log"][0]
    assert first["status_code"] is None
    assert "refused by the URL guard" in first["error"]
    assert "127.0.0.1" in first["error"]
    assert receiver.requests == []
