"""What the paging tests share: a real SMTP server (aiosmtpd) and a real webhook receiver on
127.0.0.1, people who can be reached through them, a checkout service whose policy pages bob
and then whoever a schedule has on call, and a notifier that looks for paging steps often."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NamedTuple, TypeVar

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.incident_api.settings import ApiSettings
from services.notifier.runner import notifier_running
from services.notifier.settings import NotifierSettings
from services.projector.settings import ProjectorSettings
from shared.database import Database
from tests.api.conftest import Headers, declare, events_of
from tests.conftest import api_client
from tests.contact_receivers import hook as hook
from tests.contact_receivers import mailbox as mailbox

T = TypeVar("T")


ALLOWED = "127.0.0.0/8,::1"


@pytest_asyncio.fixture(loop_scope="session")
async def paging_api(
    database_url: str, projector_settings: ProjectorSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """The API in-process with loopback contact webhooks allowed, and a projector running."""
    settings = ApiSettings(database_url=database_url, webhook_allowed_targets=ALLOWED)
    async with api_client(settings, projector_settings, database_url) as http:
        yield http


class Paging(NamedTuple):
    """What a paging test works with: the paging API's client, the database (its pool and URL,
    for a notifier) and the admin's headers."""

    client: httpx.AsyncClient
    pool: asyncpg.Pool
    database_url: str
    root: Headers


@pytest.fixture
def paging(
    paging_api: httpx.AsyncClient, pool: asyncpg.Pool, database_url: str, root: Headers
) -> Paging:
    """The paging API with its database and the admin's headers."""
    return Paging(paging_api, pool, database_url, root)


async def reachable_person(
    client: httpx.AsyncClient, root: Headers, handle: str, methods: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """Make `handle` known with these contact methods; their answers (webhook secrets too)."""
    body = {"handle": handle, "display_name": handle.title(), "contact_methods": methods}
    response = await client.post("/v1/people", json=body, headers=root)
    if response.status_code == 409:
        response = await client.patch(
            f"/v1/people/{handle}", json={"contact_methods": methods}, headers=root
        )
    assert response.status_code in (200, 201), response.text
    answered: list[dict[str, Any]] = response.json()["contact_methods"]
    return answered


async def checkout_service(
    client: httpx.AsyncClient,
    root: Headers,
    *,
    on_call: str = "carol",
    timeouts: tuple[int, int] = (300, 300),
    repeat: int = 0,
) -> str:
    """The checkout service: level 1 pages bob, level 2 whoever `sre` has on call (`on_call`,
    from a day ago). Returns the policy's id."""
    schedule = await client.post(
        "/v1/schedules",
        json={
            "name": "sre",
            "time_zone": "UTC",
            "layers": [
                {"start": "2026-01-01T00:00:00Z", "rotation": "P7D", "participants": [on_call]}
            ],
        },
        headers=root,
    )
    assert schedule.status_code == 201, schedule.text
    policy = await client.post(
        "/v1/escalation-policies",
        json={
            "name": "payments",
            "repeat": repeat,
            "levels": [
                {"timeout_seconds": timeouts[0], "targets": [{"type": "person", "handle": "bob"}]},
                {
                    "timeout_seconds": timeouts[1],
                    "targets": [{"type": "schedule", "id": schedule.json()["id"]}],
                },
            ],
        },
        headers=root,
    )
    assert policy.status_code == 201, policy.text
    service = await client.post(
        "/v1/services",
        json={"name": "checkout", "escalation_policy": policy.json()["id"]},
        headers=root,
    )
    assert service.status_code == 201, service.text
    return str(policy.json()["id"])


@asynccontextmanager
async def paging_notifier(
    pool: asyncpg.Pool, database_url: str, *, smtp_port: int | None = None
) -> AsyncIterator[None]:
    """A notifier that looks for paging steps every 0.1 s and sends pages to loopback."""
    settings = NotifierSettings(
        database_url=database_url,
        webhook_allowed_targets=ALLOWED,
        notifier_idle_timeout=0.2,
        paging_scan_seconds=0.1,
        page_retry_schedule="0,0.2",
        smtp_url=None if smtp_port is None else f"smtp://127.0.0.1:{smtp_port}",
    )
    async with notifier_running(Database(pool=pool, url=database_url, embedded=False), settings):
        yield


async def eventually(probe: Callable[[], Awaitable[T | None]], *, tries: int = 300) -> T:
    """Poll `probe` (every 0.05 s) until it answers something; fail after `tries`."""
    for _ in range(tries):
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the outcome never came")


async def event_names(client: httpx.AsyncClient, headers: Headers, incident_id: str) -> list[str]:
    """The incident's event types, in order."""
    return [e["type"] for e in await events_of(client, headers, incident_id)]


async def has_event(
    client: httpx.AsyncClient, headers: Headers, incident_id: str, name: str
) -> bool | None:
    """True once the incident has an event of type `name`, else None (a probe for eventually)."""
    return True if name in await event_names(client, headers, incident_id) else None


async def paged_on_checkout(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    database_url: str,
    root: Headers,
    declarer: Headers,
    **service: Any,
) -> dict[str, Any]:
    """An incident `declarer` declared on the checkout service (made with `service`, as
    checkout_service takes it), once a notifier, stopped then, has paged for it."""
    await checkout_service(client, root, **service)
    async with paging_notifier(pool, database_url):
        incident = await declare(client, declarer, services=["checkout"])
        await eventually(lambda: has_event(client, declarer, incident["id"], "Paged"))
    return incident
