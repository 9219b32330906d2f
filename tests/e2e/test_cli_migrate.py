"""A deployment migrates once, with `irm migrate`; the processes it runs beside it (`irm api`,
`irm projector`, `irm notifier`) refuse a schema that is behind, while `irm serve`, the
one-machine setup, still migrates by itself."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.cli.main import SCHEMA_BEHIND_EXIT
from shared.migrations import load_migrations, schema_version
from tests.conftest import EmptyDatabase
from tests.e2e.conftest import IRM, RunningServer, free_port, irm_env, start_server

LATEST = load_migrations()[-1].version


async def version_of(url: str) -> int:
    """The schema version the database at `url` is at."""
    conn = await asyncpg.connect(url)
    try:
        return await schema_version(conn)
    finally:
        await conn.close()


def irm(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run `irm ARGS` on the database to completion (at most a minute)."""
    return subprocess.run(
        [IRM, *args],
        env=irm_env(IRM_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_migrate_applies_every_migration_once_and_prints_them(
    make_empty_database: EmptyDatabase,
) -> None:
    url = await make_empty_database()

    first = irm("migrate", database_url=url)
    assert first.returncode == 0, first.stderr
    every = ", ".join(str(v) for v in range(1, LATEST + 1))
    assert first.stdout.splitlines() == [
        f"applied schema migrations {every}",
        f"schema version {LATEST}",
    ]
    assert await version_of(url) == LATEST

    again = irm("migrate", database_url=url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["no schema migration to apply", f"schema version {LATEST}"]


def test_migrate_exits_1_when_the_database_cannot_be_reached() -> None:
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/irm"

    result = irm("migrate", database_url=unreachable)

    assert result.returncode == 1
    assert "irm migrate failed" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["projector"], ["notifier"], ["api"]])
async def test_a_process_that_does_not_migrate_refuses_a_schema_behind(
    make_empty_database: EmptyDatabase, command: list[str]
) -> None:
    url = await make_empty_database()

    result = irm(*command, database_url=url)

    assert result.returncode == SCHEMA_BEHIND_EXIT, result.stderr
    assert (
        f"the database schema is at version 0, and this irm needs version {LATEST}: "
        "run `irm migrate` first"
    ) in result.stderr
    assert await version_of(url) == 0, "it must not have migrated anything"


async def test_serve_still_migrates_a_database_by_itself(
    make_empty_database: EmptyDatabase, tmp_path: Path, servers: list[RunningServer]
) -> None:
    url = await make_empty_database()

    server = start_server(tmp_path, irm_env(IRM_DATABASE_URL=url))
    servers.append(server)

    assert await version_of(url) == LATEST
    assert server.stop() == 0


def test_api_alone_serves_a_migrated_database_without_followers(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    stderr_path = tmp_path / "irm-api.err"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [IRM, "api", "--host", "127.0.0.1", "--port", str(port)],
            env=irm_env(IRM_DATABASE_URL=database_url),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        ready = wait_until_ready(f"http://127.0.0.1:{port}", process, stderr_path)
        assert ready["database"] == "ok"
        # No projector in this process: nothing follows the log, and nothing logs that it does.
        log = stderr_path.read_text(errors="replace")
        assert "projector starting" not in log
        assert "notifier" not in log
        process.terminate()
        assert process.wait(timeout=60) == 0, stderr_path.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until_ready(
    base_url: str, process: subprocess.Popen[bytes], log: Path
) -> dict[str, object]:
    """Wait (at most a minute) until /readyz answers 200; return its body."""
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        if process.poll() is not None:
            pytest.fail(f"irm api exited early:\n{log.read_text(errors='replace')}")
        try:
            answer = httpx.get(f"{base_url}/readyz", timeout=1)
            if answer.status_code == 200:
                body: dict[str, object] = answer.json()
                return body
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"irm api did not become ready:\n{log.read_text(errors='replace')}")
