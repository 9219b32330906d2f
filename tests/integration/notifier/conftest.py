"""What the notifier's integration tests share: the API in-process with loopback allowed, a
notifier running in-process on the test's database, receivers on 127.0.0.1, and the story of
an incident told over the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.incident_api.settings import ApiSettings
from services.notifier.runner import notifier_running
from services.notifier.settings import NotifierSettings
from shared.database import Database
from shared.tokens import Scope
from tests.conftest import TokenFactory, bearer
from tests.integration.notifier.receiver import Receiver, Responder

Headers = dict[str, str]
NotifierFactory = Callable[..., AbstractAsyncContextManager[None]]
ReceiverFactory = Callable[..., Awaitable[Receiver]]

LOOPBACK = "127.0.0.0/8,::1"
# Quick retries and polling, so a test waits on outcomes rather than on the real schedule.
FAST_NOTIFIER: dict[str, Any] = {
    "webhook_allowed_targets": LOOPBACK,
    "webhook_retry_schedule": "0,0.2,0.2,0.5",
    "webhook_timeout": 5.0,
    "notifier_idle_timeout": 0.2,
    "reminder_scan_seconds": 0.2,
}
LIFECYCLE: list[tuple[str, dict[str, Any]]] = [
    ("roles", {"role": "communications_lead", "assignee": "bob", "note": "owns the status page"}),
    ("severity", {"severity": "P1", "reason": "every checkout fails"}),
    ("updates", {"audience": "customer", "body": "We are investigating checkout errors."}),
    ("resolve", {"resolution": "restored", "summary": "rolled back release 42"}),
    ("close", {}),
]


@pytest.fixture
def api_settings(database_url: str) -> ApiSettings:
    """The API on the test's database, letting subscriptions target loopback receivers."""
    return ApiSettings(
        database_url=database_url,
        snapshot_interval=5,
        webhook_allowed_targets=LOOPBACK,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def admin(make_token: TokenFactory) -> Headers:
    """An admin: manages subscriptions."""
    return bearer(await make_token("root", Scope.ADMIN))


@pytest_asyncio.fixture(loop_scope="session")
async def alice(make_token: TokenFactory) -> Headers:
    """A writer who declares the incidents, so owns them and acts as their IC."""
    return bearer(await make_token("alice", Scope.WRITE))


@pytest_asyncio.fixture(loop_scope="session")
async def receivers() -> AsyncIterator[ReceiverFactory]:
    """Start receivers on 127.0.0.1; all of them stop at the end of the test."""
    started: list[Receiver] = []

    async def start(responder: Responder | None = None) -> Receiver:
        receiver = Receiver(responder)
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


@pytest.fixture
def notifier(pool: asyncpg.Pool, database_url: str) -> NotifierFactory:
    """Run a notifier in-process on the test's database for the duration of a block."""

    @asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[None]:
        settings = NotifierSettings(database_url=database_url, **{**FAST_NOTIFIER, **overrides})
        database = Database(pool=pool, url=database_url, embedded=False)
        async with notifier_running(database, settings):
            yield

    return running


async def subscribe(
    client: httpx.AsyncClient, admin: Headers, url: str, **fields: Any
) -> dict[str, Any]:
    """Create a subscription; the answer carries its secret."""
    answer = await client.post("/v1/subscriptions", json={"url": url, **fields}, headers=admin)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def declare(
    client: httpx.AsyncClient, writer: Headers, title: str = "Checkout returns 500s", **fields: Any
) -> str:
    """Declare an incident (P2 unless told otherwise); returns its id."""
    body = {"title": title, "criteria": ["customer_sla_at_risk"], "severity": "P2", **fields}
    answer = await client.post("/v1/incidents", json=body, headers=writer)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def command(
    client: httpx.AsyncClient, writer: Headers, incident_id: str, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Run one command on an incident; returns the answer (with its log position)."""
    answer = await client.post(f"/v1/incidents/{incident_id}/{path}", json=body, headers=writer)
    assert answer.status_code == 200, (path, answer.text)
    result: dict[str, Any] = answer.json()
    return result


async def post_internal(
    client: httpx.AsyncClient, writer: Headers, incident_id: str, count: int
) -> None:
    """Post `count` internal updates."""
    for n in range(count):
        await command(
            client, writer, incident_id, "updates", {"audience": "internal", "body": f"note {n}"}
        )


async def events_of(
    client: httpx.AsyncClient, reader: Headers, incident_id: str
) -> list[dict[str, Any]]:
    """The incident's stored events, in order."""
    answer = await client.get(f"/v1/incidents/{incident_id}/events", headers=reader)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def delivery_log(
    client: httpx.AsyncClient, admin: Headers, subscription_id: str, **params: Any
) -> list[dict[str, Any]]:
    """The subscription's whole delivery log, oldest first."""
    items: list[dict[str, Any]] = []
    before = None
    while True:
        query = {"limit": 200, **params, **({"before": before} if before else {})}
        answer = await client.get(
            f"/v1/subscriptions/{subscription_id}/deliveries", params=query, headers=admin
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        before = page["next_before"]
        if before is None:
            return items[::-1]


async def settled(client: httpx.AsyncClient, admin: Headers, subscription_id: str) -> bool:
    """Whether the subscription has deliveries and each has succeeded or been given up."""
    log = await delivery_log(client, admin, subscription_id)
    return bool(log) and all(d["status"] != "pending" for d in log)


async def subscription_status(
    client: httpx.AsyncClient, admin: Headers, subscription_id: str
) -> dict[str, Any]:
    """The subscription as the API shows it."""
    answer = await client.get(f"/v1/subscriptions/{subscription_id}", headers=admin)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found
