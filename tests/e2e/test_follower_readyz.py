"""`/readyz` of the followers: two `irm projector` and two `irm notifier` processes, each with
a health port. Each answers 200 and says whether it is the active replica or the standby; the
standby turns active once the active one is gone, and every one stops with 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import IRM, free_port, irm_env

pytestmark = pytest.mark.slow

START_WITHIN_S = 60.0
SETTINGS = {"IRM_LOG_LEVEL": "INFO", "IRM_DB_POOL_MIN_SIZE": "1", "IRM_DB_POOL_MAX_SIZE": "3"}


class Follower:
    """`irm projector` or `irm notifier` with /readyz on a port of its own."""

    def __init__(self, command: str, database_url: str, tmp_path: Path) -> None:
        self.port = free_port()
        self.command = command
        self.env = irm_env(
            IRM_DATABASE_URL=database_url,
            **{f"IRM_{command.upper()}_HEALTH_PORT": str(self.port)},
            **SETTINGS,
        )
        self.log_path = tmp_path / f"{command}-{self.port}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the process; its log goes to a file."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                IRM, self.command, env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=log
            )

    def output(self) -> str:
        """What it logged so far."""
        return self.log_path.read_text(errors="replace")

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        """GET /readyz: the status code and the JSON."""
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(f"http://127.0.0.1:{self.port}/readyz")
        body: dict[str, Any] = answer.json()
        return answer.status_code, body

    async def wait_for_role(self, role: str) -> dict[str, Any]:
        """Poll /readyz until it answers 200 with this role; returns the JSON."""
        give_up = time.monotonic() + START_WITHIN_S
        last: object = None
        while time.monotonic() < give_up:
            assert self.process is not None
            assert self.process.returncode is None, self.output()
            try:
                status, body = await self.readyz()
                last = (status, body)
                if status == 200 and body["role"] == role:
                    return body
            except httpx.TransportError as error:
                last = error
            await asyncio.sleep(0.1)
        pytest.fail(f"{self.command} on {self.port} never {role}; last answer {last!r}")

    async def stop(self, sig: signal.Signals) -> int:
        """Send `sig`; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout=30)

    async def kill_if_running(self) -> None:
        """Kill the process if a failure left it running."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


FOLLOWERS = [("projector", "projector"), ("notifier", "notifier once-only")]


@pytest.mark.parametrize(("command", "lock"), FOLLOWERS)
async def test_each_follower_is_ready_as_active_or_standby_and_stops_on_sigterm(
    command: str, lock: str, database_url: str, tmp_path: Path
) -> None:
    first, second = (
        Follower(command, database_url, tmp_path),
        Follower(command, database_url, tmp_path),
    )
    try:
        await first.start()
        active = await first.wait_for_role("active")
        await second.start()
        standby = await second.wait_for_role("standby")
        assert active == {"status": "ready", "database": "ok", "lock": lock, "role": "active"}
        assert standby == {"status": "ready", "database": "ok", "lock": lock, "role": "standby"}
        async with httpx.AsyncClient(timeout=5) as http:
            alive = await http.get(f"http://127.0.0.1:{second.port}/healthz")
        assert alive.json() == {"status": "ok"}

        assert await first.stop(signal.SIGTERM) == 0, first.output()
        await second.wait_for_role("active")
        assert await second.stop(signal.SIGTERM) == 0, second.output()
    except BaseException:
        print(f"--- first\n{first.output()}\n--- second\n{second.output()}")
        raise
    finally:
        await first.kill_if_running()
        await second.kill_if_running()


async def test_a_follower_that_loses_its_database_is_not_ready_until_it_is_back(
    database_url: str, server_url: str, tmp_path: Path
) -> None:
    projector = Follower("projector", database_url, tmp_path)
    name = urlsplit(database_url).path.lstrip("/")
    admin = await asyncpg.connect(server_url)
    try:
        await projector.start()
        await projector.wait_for_role("active")

        # The database refuses connections and ends the ones it has, as an outage would.
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            name,
        )
        give_up = time.monotonic() + 10
        while (answer := await projector.readyz())[0] != 503:
            assert time.monotonic() < give_up, f"still ready without a database: {answer}"
            await asyncio.sleep(0.1)
        assert answer[1]["status"] == "unavailable"

        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await projector.wait_for_role("active")
        assert await projector.stop(signal.SIGTERM) == 0, projector.output()
    except BaseException:
        print(f"--- projector\n{projector.output()}")
        raise
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await projector.kill_if_running()
