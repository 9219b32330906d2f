"""`irm tokens create`: prints a token once, stores only its hash, and the token works."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.tokens import hash_token
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
