"""A token revoked through one API process is refused by every other within a second, even one
that had it cached; and tokens made before the token-lifecycle migration keep working."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
import httpx

from services.incident_api.app import create_app
from services.incident_api.deps import REVOCATION_LISTENER, Services
from services.incident_api.settings import ApiSettings
from shared.eventstore.schema import migrate
from shared.migrations import load_migrations
from shared.tokens import Scope, authenticate, create_token, hash_token
from tests.conftest import bearer, with_database

REVOKED_WITHIN_SECONDS = 1.0


@asynccontextmanager
async def api_process(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """An API as one process runs it (default token cache: 30 s), once it hears revocations."""
    app = create_app(ApiSettings(database_url=database_url))
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        await until(lambda: services.tokens.cache.listening, within=10)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://irm.test") as http:
            yield http, services


async def until(condition: Callable[[], bool], *, within: float) -> None:
    """Wait until `condition()` is true; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, f"not true within {within} s"
        await asyncio.sleep(0.02)


async def refused_within(http: httpx.AsyncClient, token: str, seconds: float) -> int:
    """Poll with `token` until it is refused, for at most `seconds`; the last status."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        status = (await http.get("/v1/incidents", headers=bearer(token))).status_code
        if status != 200 or loop.time() >= deadline:
            return status
        await asyncio.sleep(0.02)


async def test_a_token_revoked_through_one_process_is_refused_by_another_within_a_second(
    database_url: str, pool: asyncpg.Pool
) -> None:
    admin = bearer(await create_token(pool, principal="root", scope=Scope.ADMIN))
    token = await create_token(pool, principal="erin", scope=Scope.READ)
    async with AsyncExitStack() as stack:
        one, _ = await stack.enter_async_context(api_process(database_url))
        other, other_services = await stack.enter_async_context(api_process(database_url))
        # The other process has validated the token, so it holds it in its 30 s cache.
        assert (await other.get("/v1/incidents", headers=bearer(token))).status_code == 200
        assert other_services.tokens.cache.get(hash_token(token)) is not None
        token_id = await pool.fetchval(
            "SELECT id::text FROM irm_api_tokens WHERE token_hash = $1", hash_token(token)
        )

        revoked = await one.delete(f"/v1/tokens/{token_id}", headers=admin)
        assert revoked.status_code == 200, revoked.text
        status = await refused_within(other, token, REVOKED_WITHIN_SECONDS)

        assert status == 401, f"still accepted {REVOKED_WITHIN_SECONDS} s after the revocation"
        assert (await one.get("/v1/incidents", headers=bearer(token))).status_code == 401
        assert (await other.get("/v1/incidents", headers=admin)).status_code == 200


async def test_while_the_listener_is_down_tokens_are_looked_up_and_it_comes_back(
    database_url: str, pool: asyncpg.Pool
) -> None:
    token = await create_token(pool, principal="erin", scope=Scope.READ)
    async with api_process(database_url) as (http, services):
        assert (await http.get("/v1/incidents", headers=bearer(token))).status_code == 200
        cache = services.tokens.cache
        await pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            REVOCATION_LISTENER,
        )
        await until(lambda: not cache.listening, within=10)
        assert cache.get(hash_token(token)) is None, "the cache is not trusted meanwhile"
        # Revoked while nobody listens: the lookup, not the cache, answers.
        await pool.execute("UPDATE irm_api_tokens SET revoked_at = now()")
        assert (await http.get("/v1/incidents", headers=bearer(token))).status_code == 401

        await until(lambda: cache.listening, within=10)


async def test_tokens_made_before_the_lifecycle_migration_keep_working(server_url: str) -> None:
    lifecycle = next(m.version for m in load_migrations() if "token_lifecycle" in m.file_name)
    name = f"irm_tokens_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(with_database(server_url, name))
        try:
            await migrate(conn, up_to=lifecycle - 1)
            await conn.execute(
                "INSERT INTO irm_api_tokens (token_hash, principal, scope) VALUES ($1, $2, $3)",
                hash_token("irm_made-before"),
                "old",
                "write",
            )
            assert await migrate(conn) == list(range(lifecycle, load_migrations()[-1].version + 1))
            row = await conn.fetchrow("SELECT id, expires_at, revoked_at FROM irm_api_tokens")
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(with_database(server_url, name), min_size=1, max_size=2)
        try:
            principal = await authenticate(pool, "irm_made-before")
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    assert row is not None
    assert row["id"] is not None
    assert row["expires_at"] is None
    assert row["revoked_at"] is None
    assert (principal.name, principal.scope) == ("old", Scope.WRITE)
    assert principal.token_id == row["id"]
