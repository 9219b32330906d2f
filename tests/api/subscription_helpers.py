"""What the subscription API tests share: a loopback receiver URL, a subscribe helper, a port
nobody listens on, and a notifier that gives up quickly.

No notifier runs in these tests unless one says so, so RECEIVER is never contacted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx

from services.notifier.runner import notifier_running
from services.notifier.settings import NotifierSettings
from shared.database import Database
from tests.api.conftest import Headers

ALLOWED = "127.0.0.0/8,::1"
RECEIVER = "http://127.0.0.1:9/hooks"


async def subscribe(api: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    """Create a subscription to RECEIVER (with `fields` changed) and return the 201's body."""
    response = await api.post(
        "/v1/subscriptions", json={"url": RECEIVER, **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def log_of(
    api: httpx.AsyncClient, headers: Headers, subscription_id: str, **params: Any
) -> list[dict[str, Any]]:
    """Every delivery of a subscription, oldest first, following the log's pages."""
    items: list[dict[str, Any]] = []
    while True:
        response = await api.get(
            f"/v1/subscriptions/{subscription_id}/deliveries", params=params, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_before"] is None:
            return items[::-1]
        params = {**params, "before": page["next_before"]}


async def closed_port() -> int:
    """A port of 127.0.0.1 that was just listened on and no longer is: connections are refused."""
    closed = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port: int = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    return port


@asynccontextmanager
async def quick_notifier(pool: asyncpg.Pool, database_url: str) -> AsyncIterator[None]:
    """A notifier for loopback receivers that tries each delivery twice, at once, then gives up."""
    settings = NotifierSettings(
        database_url=database_url,
        webhook_allowed_targets=ALLOWED,
        webhook_retry_schedule="0,0",
        notifier_idle_timeout=0.2,
    )
    async with notifier_running(Database(pool=pool, url=database_url, embedded=False), settings):
        yield
