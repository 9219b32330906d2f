"""`GET /v1/me`: a client learns whom its token acts as (to say so, and to ask for "mine")."""

from __future__ import annotations

import asyncpg
import httpx

from shared.tokens import Scope, create_token
from tests.api.conftest import Headers
from tests.conftest import bearer
from tests.problems import assert_problem


async def test_me_names_the_principal_and_scope_of_the_token(
    client: httpx.AsyncClient, carol: Headers, root: Headers
) -> None:
    reader = await client.get("/v1/me", headers=carol)
    admin = await client.get("/v1/me", headers=root)

    assert reader.status_code == 200, reader.text
    assert reader.json()["principal"] == "carol"
    assert reader.json()["scope"] == "read"
    assert reader.json()["expires_at"] is None
    assert admin.json()["principal"] == "root"
    assert admin.json()["scope"] == "admin"
    assert reader.json()["token_id"] != admin.json()["token_id"]


async def test_me_shows_when_the_token_expires(
    client: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    expires_at = await pool.fetchval("SELECT now() + interval '1 hour'")
    token = await create_token(pool, principal="erin", scope=Scope.WRITE, expires_at=expires_at)

    answer = await client.get("/v1/me", headers=bearer(token))

    assert answer.json()["principal"] == "erin"
    assert answer.json()["expires_at"].startswith(expires_at.strftime("%Y-%m-%dT%H:%M"))


async def test_me_needs_a_valid_token(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/me"), 401, "unauthorized")
    assert_problem(await client.get("/v1/me", headers=bearer("irm_nope")), 401, "unauthorized")
