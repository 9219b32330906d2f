"""Tokens (admin only): list, create (the secret shown once), revoke; expiry, last use, and the
throttle on failed authentications."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from shared.tokens import Scope, create_token, hash_token
from tests.api.conftest import Headers, assert_problem
from tests.conftest import TokenFactory, bearer

PUBLIC_FIELDS = {
    "id",
    "principal",
    "scope",
    "status",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_by",
}


async def create(client: httpx.AsyncClient, root: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/tokens", json={"principal": "erin", **body}, headers=root)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_admin_creates_a_token_whose_secret_is_answered_once_and_works(
    client: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await create(client, root, scope="read")

    assert set(created) == PUBLIC_FIELDS | {"token"}
    assert created["principal"] == "erin"
    assert created["scope"] == "read"
    assert created["status"] == "active"
    assert created["created_by"] == "root"
    assert created["expires_at"] is None
    stored = await pool.fetchrow(
        "SELECT id::text, token_hash FROM irm_api_tokens WHERE principal = 'erin'"
    )
    assert stored is not None
    assert created["id"] == stored["id"]
    assert stored["token_hash"] == hash_token(created["token"])
    assert stored["token_hash"] not in {created["id"], created["token"]}
    works = await client.get("/v1/incidents", headers=bearer(created["token"]))
    assert works.status_code == 200, works.text


async def test_the_list_shows_every_token_by_its_public_id_never_a_secret_or_hash(
    client: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, alice: Headers
) -> None:
    created = await create(client, root)

    response = await client.get("/v1/tokens", headers=root)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["principal"] for i in items] == ["root", "alice", "erin"]
    assert all(set(i) == PUBLIC_FIELDS for i in items)
    assert items[-1]["id"] == created["id"]
    hashes = {r["token_hash"] for r in await pool.fetch("SELECT token_hash FROM irm_api_tokens")}
    assert not any(h in response.text for h in hashes)
    assert created["token"] not in response.text
    assert alice["Authorization"].removeprefix("Bearer ") not in response.text


async def test_a_revoked_token_is_refused_and_listed_as_revoked(
    client: httpx.AsyncClient, root: Headers
) -> None:
    created = await create(client, root)
    used = await client.get("/v1/incidents", headers=bearer(created["token"]))
    assert used.status_code == 200, "used once, so this process has it cached"

    revoked = await client.delete(f"/v1/tokens/{created['id']}", headers=root)
    again = await client.delete(f"/v1/tokens/{created['id']}", headers=root)

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_by"] == "root"
    # last_used_at is written in the background after the use above, so it may land between
    # the two answers; revoking again must change nothing else.
    first, second = revoked.json(), again.json()
    first.pop("last_used_at")
    second.pop("last_used_at")
    assert second == first, "revoking again changes nothing"
    refused = await refused_within(client, created["token"], seconds=1.0)
    problem = assert_problem(refused, 401, "unauthorized")
    assert "revoked" in problem["detail"]
    listed = (await client.get("/v1/tokens", headers=root)).json()["items"]
    assert {i["id"]: i["status"] for i in listed}[created["id"]] == "revoked"


async def test_revoking_an_unknown_token_is_404(client: httpx.AsyncClient, root: Headers) -> None:
    response = await client.delete("/v1/tokens/00000000-0000-0000-0000-000000000000", headers=root)

    assert_problem(response, 404, "token-not-found")


@pytest.mark.parametrize("who", ["bob", "carol"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/tokens", None),
        ("POST", "/v1/tokens", {"principal": "mallory", "scope": "admin"}),
        ("DELETE", "/v1/tokens/{id}", None),
    ],
)
async def test_only_an_admin_manages_tokens(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    make_token: TokenFactory,
    root: Headers,
    who: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    scope = Scope.WRITE if who == "bob" else Scope.READ
    caller = bearer(await make_token(who, scope))
    target = await create(client, root)

    response = await client.request(method, path.format(id=target["id"]), json=body, headers=caller)

    assert_problem(response, 403, "insufficient-scope")
    states = await pool.fetch("SELECT principal, revoked_at FROM irm_api_tokens")
    assert "mallory" not in {r["principal"] for r in states}
    assert all(r["revoked_at"] is None for r in states)


async def test_a_token_may_expire_after_a_while_or_at_a_time(
    client: httpx.AsyncClient, root: Headers
) -> None:
    before = datetime.now(UTC)
    after_90_days = await create(client, root, expires_in="90d")
    at = (before + timedelta(days=7)).replace(microsecond=0)
    at_a_time = await create(client, root, expires_at=at.isoformat())

    expiry = datetime.fromisoformat(after_90_days["expires_at"])
    assert timedelta(days=90) <= expiry - before < timedelta(days=90, minutes=1)
    assert datetime.fromisoformat(at_a_time["expires_at"]) == at


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in": "90x"},
        {"expires_in": "0d"},
        {"expires_in": "99999w"},
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "2999-01-01T00:00:00"},
        {"expires_in": "1d", "expires_at": "2999-01-01T00:00:00Z"},
        {"principal": " "},
        {"scope": "root"},
        {"secret": "mine"},
    ],
)
async def test_a_bad_token_request_is_422_and_creates_nothing(
    client: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, body: dict[str, Any]
) -> None:
    response = await client.post("/v1/tokens", json={"principal": "erin", **body}, headers=root)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await pool.fetchval("SELECT count(*) FROM irm_api_tokens") == 1


async def test_an_expired_token_is_refused_even_when_cached(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    expires_at = await pool.fetchval("SELECT now() + interval '1.5 seconds'")
    token = await create_token(pool, principal="erin", scope=Scope.READ, expires_at=expires_at)
    first = await client.get("/v1/incidents", headers=bearer(token))
    assert first.status_code == 200, first.text

    await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.2)
    refused = await client.get("/v1/incidents", headers=bearer(token))

    problem = assert_problem(refused, 401, "unauthorized")
    assert "expired" in problem["detail"]
    assert refused.headers["WWW-Authenticate"] == "Bearer"


async def test_an_expired_token_is_refused_with_a_clear_detail(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    token = await create_token(pool, principal="erin", scope=Scope.READ)
    await pool.execute("UPDATE irm_api_tokens SET expires_at = now() - interval '1 minute'")

    refused = await client.get("/v1/incidents", headers=bearer(token))

    problem = assert_problem(refused, 401, "unauthorized")
    assert problem["detail"].startswith("the token expired at ")


async def test_the_last_use_is_recorded_at_most_once_a_minute(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    query = "SELECT last_used_at FROM irm_api_tokens WHERE principal = 'alice'"
    assert await pool.fetchval(query) is None

    assert (await client.get("/v1/incidents", headers=alice)).status_code == 200
    first = None
    for _ in range(100):
        first = await pool.fetchval(query)
        if first is not None:
            break
        await asyncio.sleep(0.05)
    assert first is not None, "the last use was not recorded within 5 s"
    for _ in range(5):
        assert (await client.get("/v1/incidents", headers=alice)).status_code == 200
    await asyncio.sleep(0.3)

    assert await pool.fetchval(query) == first
    listed = await client.get("/v1/tokens", headers=bearer(await _admin(pool)))
    alice_item = next(i for i in listed.json()["items"] if i["principal"] == "alice")
    assert datetime.fromisoformat(alice_item["last_used_at"]) == first


async def refused_within(
    client: httpx.AsyncClient, token: str, *, seconds: float
) -> httpx.Response:
    """Poll with `token` until it is refused, for at most `seconds`; the last answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        response = await client.get("/v1/incidents", headers=bearer(token))
        if response.status_code != 200 or loop.time() >= deadline:
            return response
        await asyncio.sleep(0.02)


async def _admin(pool: asyncpg.Pool) -> str:
    return await create_token(pool, principal="root", scope=Scope.ADMIN)


@asynccontextmanager
async def _api_from(database_url: str, *addresses: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One API, and a client on it from each address."""
    app = create_app(ApiSettings(database_url=database_url))
    async with app.router.lifespan_context(app):
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(address, 40_000)),
                base_url="http://irm.test",
            )
            for address in addresses
        ]
        try:
            yield clients
        finally:
            for http in clients:
                await http.aclose()


async def test_the_21st_failure_from_an_address_is_429_while_others_still_get_401(
    database_url: str, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    valid = bearer(await create_token(pool, principal="erin", scope=Scope.READ))
    guess = "irm_guess-" + "x" * 30
    caplog.set_level(logging.WARNING, logger="services.incident_api.deps")
    async with _api_from(database_url, "203.0.113.7", "198.51.100.9") as (attacker, other):
        failures = [
            await attacker.get("/v1/incidents", headers=bearer(f"{guess}{n}")) for n in range(20)
        ]
        throttled = await attacker.get("/v1/incidents", headers=bearer(guess))
        throttled_valid = await attacker.get("/v1/incidents", headers=valid)
        elsewhere = await other.get("/v1/incidents", headers=bearer(guess))
        elsewhere_valid = await other.get("/v1/incidents", headers=valid)

    assert [f.status_code for f in failures] == [401] * 20
    problem = assert_problem(throttled, 429, "too-many-failed-logins")
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert "Retry-After" in throttled_valid.headers
    assert throttled_valid.status_code == 429, "a blocked address is not even looked up"
    assert "20" in problem["detail"]
    assert_problem(elsewhere, 401, "unauthorized")
    assert elsewhere_valid.status_code == 200
    logged = caplog.text
    assert "203.0.113.7" in logged
    assert "too many failed" in logged
    assert guess not in logged
    assert "irm_" not in logged
