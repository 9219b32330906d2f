"""What the API tests share: people with tokens, a declared incident, and ways to read the log.

The cast: alice declares, so she owns the incident and acts as its IC until one is named; bob
and dave are other writers; carol can only read; root holds an admin token (break glass).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from shared.tokens import Scope
from tests.api.oidc_provider import IdentityProvider
from tests.conftest import TokenFactory, bearer
from tests.problems import PROBLEM as PROBLEM
from tests.problems import assert_problem as assert_problem

Headers = dict[str, str]
ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

DECLARE = {
    "title": "Checkout returns 500s",
    "description": "Error rate on /checkout above 20% since 03:05",
    "criteria": ["customer_sla_at_risk", "production_workloads_affected"],
    "severity": "P2",
    "services": ["checkout", "payments"],
}


@pytest_asyncio.fixture(loop_scope="session")
async def alice(make_token: TokenFactory) -> Headers:
    """A writer who declares the incidents, so owns them and acts as IC."""
    return bearer(await make_token("alice", Scope.WRITE))


@pytest_asyncio.fixture(loop_scope="session")
async def bob(make_token: TokenFactory) -> Headers:
    """A writer with no role on the incident."""
    return bearer(await make_token("bob", Scope.WRITE))


@pytest_asyncio.fixture(loop_scope="session")
async def dave(make_token: TokenFactory) -> Headers:
    """Another writer, for handovers."""
    return bearer(await make_token("dave", Scope.WRITE))


@pytest_asyncio.fixture(loop_scope="session")
async def carol(make_token: TokenFactory) -> Headers:
    """A reader: may look, may not change anything."""
    return bearer(await make_token("carol", Scope.READ))


@pytest_asyncio.fixture(loop_scope="session")
async def root(make_token: TokenFactory) -> Headers:
    """An admin, who may act in the IC's place."""
    return bearer(await make_token("root", Scope.ADMIN))


@pytest_asyncio.fixture(loop_scope="session")
async def incident(client: httpx.AsyncClient, alice: Headers) -> dict[str, Any]:
    """An open incident declared by alice, as the API answered it."""
    return await declare(client, alice)


@pytest.fixture
def open_client(database_url: str) -> ClientFactory:
    """Start another API on the test's database with some settings changed; yields a client."""

    @asynccontextmanager
    async def open_with(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(ApiSettings(database_url=database_url, **settings))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://irm.test") as http:
                yield http

    return open_with


RESOLVE = {"resolution": "restored", "summary": "rolled back"}


async def post(
    client: httpx.AsyncClient,
    headers: Headers,
    incident: dict[str, Any],
    action: str,
    body: dict[str, Any] | None = None,
    **extra_headers: str,
) -> httpx.Response:
    """POST a command to the incident, whatever it answers."""
    return await client.post(
        f"/v1/incidents/{incident['id']}/{action}",
        json=body,
        headers={**headers, **extra_headers},
    )


async def declare(client: httpx.AsyncClient, headers: Headers, **changes: Any) -> dict[str, Any]:
    """Declare an incident (the DECLARE body with `changes`) and return the 201's body."""
    response = await client.post("/v1/incidents", json={**DECLARE, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def read(
    client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any]
) -> httpx.Response:
    """GET the incident once the read model includes the position of `incident` (a command's
    answer): the API's read-your-own-writes."""
    return await client.get(
        f"/v1/incidents/{incident['id']}",
        params={"min_position": incident["position"]},
        headers=headers,
    )


def same_state(command_answer: dict[str, Any], view: dict[str, Any]) -> None:
    """Assert that a read shows the state a command answered (the read has more fields)."""
    assert {k: view[k] for k in command_answer} == command_answer


async def events_of(
    client: httpx.AsyncClient, headers: Headers, incident_id: str
) -> list[dict[str, Any]]:
    """The incident's events as GET …/events answers them."""
    response = await client.get(f"/v1/incidents/{incident_id}/events", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def stored_events(pool: asyncpg.Pool) -> int:
    """How many events the whole log holds, read straight from the table."""
    return int(await pool.fetchval("SELECT count(*) FROM irm_events"))


@pytest_asyncio.fixture(loop_scope="session")
async def api(open_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The API with loopback webhook receivers allowed (for the subscription tests)."""
    async with open_client(webhook_allowed_targets="127.0.0.0/8,::1") as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def provider() -> AsyncIterator[IdentityProvider]:
    """An OIDC identity provider listening on 127.0.0.1 (single sign-on tests)."""
    idp = IdentityProvider()
    await idp.start()
    try:
        yield idp
    finally:
        await idp.stop()
