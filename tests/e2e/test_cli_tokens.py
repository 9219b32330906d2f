"""`irm tokens create`: prints a token once, stores only its hash, and the token works;
`irm tokens list` shows tokens by public id, `irm tokens revoke ID` revokes one."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.incident_api.app import create_app
from services.incident_api.deps import Services
from services.incident_api.settings import ApiSettings
from shared.tokens import Scope, create_token, hash_token
from tests.e2e.conftest import IRM, TOKEN_PATTERN, RunningServer, irm_env, start_server

pytestmark = pytest.mark.slow


async def test_created_token_is_stored_as_a_hash_and_authenticates(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, servers: list[RunningServer]
) -> None:
    env = irm_env(IRM_DATABASE_URL=database_url)
    process = await asyncio.create_subprocess_exec(
        IRM,
        *("tokens", "create", "--principal", "bob", "--scope", "read"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    token = stdout.decode().strip()
    assert TOKEN_PATTERN.fullmatch(token), stdout

    rows = await pool.fetch("SELECT token_hash, principal, scope FROM irm_api_tokens")
    assert [(r["token_hash"], r["principal"], r["scope"]) for r in rows] == [
        (hash_token(token), "bob", "read")
    ]

    server = await asyncio.to_thread(start_server, tmp_path, env)
    servers.append(server)
    assert server.printed_token() is None, "a token exists, so serve makes none"
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=auth, timeout=10) as http:
        unknown = await http.get("/v1/incidents/00000000-0000-0000-0000-000000000000")
        assert unknown.status_code == 404
        declare = await http.post(
            "/v1/incidents", json={"title": "x", "criteria": ["service_stability_at_risk"]}
        )
        assert declare.status_code == 403, "a read token may not declare"


def test_an_unknown_scope_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [IRM, "tokens", "create", "--principal", "bob", "--scope", "root"],
        env=irm_env(IRM_DATA_DIR=str(tmp_path / "unused")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "root" in result.stderr
    assert not (tmp_path / "unused").exists(), "a refused command starts no database"


async def irm(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run `irm` with `args`; its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        IRM,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def listed(stdout: str) -> list[dict[str, str]]:
    """The rows `irm tokens list` printed, by column name."""
    header, *rows = stdout.splitlines()
    names = header.split("\t")
    return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]


async def test_tokens_are_listed_by_public_id_and_revoked_by_it(
    database_url: str, pool: asyncpg.Pool
) -> None:
    env = irm_env(IRM_DATABASE_URL=database_url)
    code, token, stderr = await irm(
        env, "tokens", "create", "--principal", "erin", "--scope", "read", "--expires-in", "90d"
    )
    assert code == 0, stderr
    token = token.strip()
    await create_token(pool, principal="root", scope=Scope.ADMIN)

    code, stdout, stderr = await irm(env, "tokens", "list")
    assert code == 0, stderr
    rows = listed(stdout)
    assert [(r["principal"], r["scope"], r["status"]) for r in rows] == [
        ("erin", "read", "active"),
        ("root", "admin", "active"),
    ]
    erin = rows[0]
    expires_at = datetime.fromisoformat(erin["expires_at"])
    assert timedelta(days=89) < expires_at - datetime.now(UTC) <= timedelta(days=90)
    assert rows[1]["expires_at"] == "-"
    assert token not in stdout
    assert hash_token(token) not in stdout
    assert erin["id"] == await pool.fetchval(
        "SELECT id::text FROM irm_api_tokens WHERE principal = 'erin'"
    )

    # An API process that has the token cached refuses it once the CLI revokes it.
    app = create_app(ApiSettings(database_url=database_url))
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        for _ in range(500):
            if services.tokens.cache.listening:
                break
            await asyncio.sleep(0.02)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://irm.test") as http:
            auth = {"Authorization": f"Bearer {token}"}
            assert (await http.get("/v1/incidents", headers=auth)).status_code == 200

            code, _, stderr = await irm(env, "tokens", "revoke", erin["id"])
            assert code == 0, stderr
            assert erin["id"] in stderr
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 1.0
            while (status := (await http.get("/v1/incidents", headers=auth)).status_code) == 200:
                if loop.time() > deadline:
                    break
                await asyncio.sleep(0.02)
            assert status == 401, "the revoked token was still accepted after 1 s"

    code, stdout, stderr = await irm(env, "tokens", "list")
    assert code == 0, stderr
    statuses = {r["principal"]: (r["status"], r["revoked_at"] != "-") for r in listed(stdout)}
    assert statuses == {"erin": ("revoked", True), "root": ("active", False)}
    revoked_by = await pool.fetchval(
        "SELECT revoked_by FROM irm_api_tokens WHERE principal = 'erin'"
    )
    assert revoked_by.startswith("cli")


async def test_revoking_an_unknown_or_malformed_id_fails_clearly(database_url: str) -> None:
    env = irm_env(IRM_DATABASE_URL=database_url)

    unknown = await irm(env, "tokens", "revoke", "00000000-0000-0000-0000-000000000000")
    malformed = await irm(env, "tokens", "revoke", "irm_secret")

    assert unknown[0] == 1
    assert "No token 00000000-0000-0000-0000-000000000000" in unknown[2]
    assert malformed[0] == 2
    assert "not a token id" in malformed[2]


def test_a_bad_expiry_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [IRM, "tokens", "create", "--principal", "bob", "--expires-in", "soon"],
        env=irm_env(IRM_DATA_DIR=str(tmp_path / "unused")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "90d" in result.stderr
    assert not (tmp_path / "unused").exists(), "a refused command starts no database"
