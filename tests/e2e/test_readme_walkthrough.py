"""The README's curl walk-through runs as written against a real `irm serve`: every request in
it succeeds, and the incident it tells ends up closed with the story it tells."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import IRM, RunningServer, irm_env, start_server

pytestmark = pytest.mark.slow

README = Path(__file__).parents[2] / "README.md"
# Every curl must answer 2xx: --fail-with-body makes any other answer stop the script (set -e).
PROLOGUE = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n'


def walkthrough(base_url: str) -> str:
    """The first sh block under "One incident with curl", pointed at `base_url`, with the
    README's `.venv/bin/irm` (run from the repository's root) as this test's `irm`."""
    section = README.read_text().split("## One incident with curl", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README lost its curl walk-through"
    script = match.group(1)
    assert "API=http://127.0.0.1:8000\n" in script
    script = script.replace("API=http://127.0.0.1:8000\n", f"API={base_url}\n")
    return PROLOGUE + script.replace(".venv/bin/irm", IRM)


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command to its end (at most two minutes)."""
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_the_readme_curl_walkthrough_runs_as_written(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path, servers: list[RunningServer]
) -> None:
    await pool.execute("DELETE FROM irm_people")  # a new team: nobody known yet
    env = irm_env(IRM_DATABASE_URL=database_url)
    server = await asyncio.to_thread(start_server, tmp_path, env)
    servers.append(server)

    result = await asyncio.to_thread(run, ["bash", "-c", walkthrough(server.base_url)], env)

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{server.stderr()}"
    created = await asyncio.to_thread(
        run, [IRM, "tokens", "create", "--principal", "auditor", "--scope", "read"], env
    )
    auth = {"Authorization": f"Bearer {created.stdout.strip()}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=auth, timeout=10) as http:
        listed = (await http.get("/v1/incidents", params={"status": "closed"})).json()["items"]
    assert [(i["title"], i["severity"], i["roles"]) for i in listed] == [
        (
            "Checkout returns 500",
            "P1",
            {"incident_commander": "bob", "communications_lead": "carol"},
        )
    ]
