"""`irm` as a client of a running server: log in, run an incident from the shell, follow it
live. Each command runs with typer's CliRunner against a real `irm serve` on 127.0.0.1, and is
checked by what it prints, its exit code, and what the server then holds."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from typer.testing import CliRunner, Result

from services.cli.main import app
from shared.tokens import Scope, create_token
from tests.e2e.conftest import RunningServer, free_port, irm_env, start_server

pytestmark = pytest.mark.slow


@dataclass
class Shell:
    """People at a shell: `irm` with one of their tokens (or none), against one server."""

    server: RunningServer
    config_home: Path
    tokens: dict[str, str]

    def env(self, who: str | None) -> dict[str, str | None]:
        """A command's environment: the test's config folder, and `who`'s URL and token
        (None: neither, so the saved login counts)."""
        env: dict[str, str | None] = {
            "XDG_CONFIG_HOME": str(self.config_home),
            "IRM_URL": None,
            "IRM_TOKEN": None,
            # Wide enough that no table cell wraps (rich reads COLUMNS when not on a terminal).
            "COLUMNS": "200",
        }
        if who is not None:
            env |= {"IRM_URL": self.server.base_url, "IRM_TOKEN": self.tokens[who]}
        return env

    def irm(self, who: str | None, *arguments: str, stdin: str | None = None) -> Result:
        """Run `irm ARGUMENTS` as `who`."""
        return CliRunner().invoke(app, list(arguments), env=self.env(who), input=stdin)

    def json(self, who: str | None, *arguments: str) -> Any:
        """Run `irm ARGUMENTS --json`, check that it worked, and parse what it printed."""
        result = self.irm(who, *arguments, "--json")
        assert result.exit_code == 0, f"{arguments}: {result.stdout}{result.stderr}"
        return json.loads(result.stdout)


@pytest_asyncio.fixture(loop_scope="session")
async def shell(database_url: str, pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[Shell]:
    """`irm serve` on the test's database; alice and bob may write, carol may read."""
    tokens = {
        "alice": await create_token(pool, principal="alice", scope=Scope.WRITE),
        "bob": await create_token(pool, principal="bob", scope=Scope.WRITE),
        "carol": await create_token(pool, principal="carol", scope=Scope.READ),
    }
    server = await asyncio.to_thread(start_server, tmp_path, irm_env(IRM_DATABASE_URL=database_url))
    try:
        yield Shell(server, tmp_path / "config", tokens)
    finally:
        await asyncio.to_thread(server.stop)


def fields(text: str) -> dict[str, str]:
    """A printed two-column table (label, value) as a dict."""
    rows = (re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in text.splitlines())
    return {row[0]: row[1] for row in rows if len(row) == 2}


def one_line(text: str) -> str:
    """Text as one line (rich wraps long lines at the width of a terminal that is not there)."""
    return " ".join(text.split())


async def test_login_checks_the_token_and_saves_it_for_the_owner_only(shell: Shell) -> None:
    refused = shell.irm(None, "login", shell.server.base_url, stdin="irm_not-a-token\n")
    nobody = shell.irm(None, "ls")
    login = shell.irm(None, "login", shell.server.base_url, stdin=shell.tokens["alice"] + "\n")
    saved = shell.config_home / "irm" / "login.json"
    saved_login = json.loads(saved.read_text())
    saved_mode = stat.S_IMODE(os.stat(saved).st_mode)
    folder_mode = stat.S_IMODE(os.stat(saved.parent).st_mode)
    whoami = shell.irm(None, "whoami")
    overridden = shell.irm("carol", "whoami")
    logout = shell.irm(None, "logout")
    after_logout = shell.irm(None, "whoami")

    assert refused.exit_code == 4
    assert "Authentication required (401 unauthorized)" in refused.stderr
    assert "the token is not valid" in refused.stderr
    assert nobody.exit_code == 4
    assert "not logged in: run `irm login URL`" in one_line(nobody.stderr)
    assert login.exit_code == 0, login.stderr
    assert f"Logged in to {shell.server.base_url} as alice (scope write)" in one_line(login.stdout)
    assert saved_login == {"url": shell.server.base_url, "token": shell.tokens["alice"]}
    assert saved_mode == 0o600
    assert folder_mode == 0o700
    assert whoami.stdout.startswith(f"alice on {shell.server.base_url} (scope write")
    assert overridden.stdout.startswith("carol on"), "IRM_URL and IRM_TOKEN win over the login"
    assert logout.exit_code == 0
    assert not saved.exists()
    assert after_logout.exit_code == 4


def test_a_server_that_cannot_be_reached_is_said_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {"XDG_CONFIG_HOME": str(tmp_path), "IRM_URL": url, "IRM_TOKEN": "irm_whatever"}

    result = CliRunner().invoke(app, ["ls"], env=env)

    assert result.exit_code == 5
    assert f"cannot reach the server at {url}" in result.stderr


async def test_an_incident_run_from_the_shell(shell: Shell) -> None:
    declared = shell.irm(
        "alice",
        *("declare", "Checkout returns 500s", "--criteria", "sla", "-c", "production"),
        *("--severity", "P2", "--service", "checkout", "--service", "payments"),
    )
    other = shell.json("bob", "declare", "Search is slow", "-c", "stability", "--severity", "P3")
    role = shell.irm("alice", "role", "inc-1", "cl", "bob")
    handover = shell.irm(
        "alice", "role", "INC-1", "incident_commander", "bob", "--note", "my shift ends"
    )
    refused = shell.irm("alice", "severity", "INC-1", "P1", "--reason", "spreading")
    severity = shell.irm("bob", "severity", "INC-1", "P1", "--reason", "all regions")
    customer = shell.irm(
        "bob", "update", "INC-1", "--customer", "Card payments fail; next update 03:45"
    )
    internal = shell.irm("carol", "update", "INC-1", "--internal", "looking")
    internal_ok = shell.irm("alice", "update", "INC-1", "--internal", "rolling back 4.18.2")
    both = shell.irm("alice", "update", "INC-1", "--internal", "a", "--customer", "b")
    escalated = shell.irm("bob", "escalate", "INC-1", "payments-platform", "--reason", "OOM kills")

    assert declared.exit_code == 0, declared.stderr
    assert one_line(declared.stdout) == (
        "Declared INC-1 Checkout returns 500s (P2); acting IC alice"
    )
    assert other["reference"] == "INC-2"
    assert other["owner"] == "bob"
    assert one_line(role.stdout) == "INC-1 communications_lead: bob; acting IC alice (version 2)"
    assert handover.exit_code == 0, handover.stderr
    assert refused.exit_code == 1
    assert "Not allowed on this incident (403 not-incident-authority)" in refused.stderr
    assert "alice is not the acting incident commander" in refused.stderr
    assert one_line(severity.stdout) == "INC-1 is now P1 (version 4)"
    assert one_line(customer.stdout) == "INC-1 customer update posted (version 5)"
    assert internal.exit_code == 1
    assert "needs scope write; the token has read" in internal.stderr
    assert internal_ok.exit_code == 0
    assert both.exit_code == 2
    assert "give exactly one of --customer TEXT and --internal TEXT" in one_line(both.stderr)
    assert one_line(escalated.stdout) == "INC-1 escalated to payments-platform (version 7)"

    mine = shell.json("alice", "ls", "--mine")
    bobs = shell.json("bob", "ls", "--mine", "--severity", "P3")
    open_p1 = shell.json("carol", "ls", "--status", "open", "--severity", "P1")
    on_search = shell.json("carol", "ls", "--service", "payments")
    table = shell.irm("carol", "ls")
    shown = shell.irm("carol", "show", "INC-1")
    incident = shell.json("carol", "show", "INC-1")

    assert [i["reference"] for i in mine["items"]] == ["INC-1"], "alice owns INC-1"
    assert [i["reference"] for i in bobs["items"]] == ["INC-2"]
    assert [i["reference"] for i in open_p1["items"]] == ["INC-1"]
    assert [i["reference"] for i in on_search["items"]] == ["INC-1"]
    rows = [line.split() for line in table.stdout.splitlines() if line.startswith("INC-")]
    assert [row[:3] for row in rows] == [["INC-2", "│", "P3"], ["INC-1", "│", "P1"]]
    shown_fields = fields(shown.stdout)
    assert shown_fields["Incident"] == "INC-1 Checkout returns 500s"
    assert shown_fields["Severity"] == "P1"
    assert shown_fields["Acting IC"] == "bob"
    assert shown_fields["IC (incident_commander)"] == "bob"
    assert shown_fields["CL (communications_lead)"] == "bob"
    assert shown_fields["Services"] == "checkout, payments"
    assert incident["roles"] == {"communications_lead": "bob", "incident_commander": "bob"}
    assert incident["severity"] == "P1"
    assert incident["last_customer_update_at"] is not None

    resolved = shell.irm(
        "bob", "resolve", "INC-1", "--resolution", "restored", "--summary", "rolled back"
    )
    closed = shell.json("bob", "close", "INC-1")
    closed_again = shell.irm("bob", "close", "INC-1")
    timeline = shell.json("carol", "timeline", "INC-1")
    timeline_table = shell.irm("carol", "timeline", "INC-1")
    markdown = shell.irm("carol", "timeline", "INC-1", "--markdown")
    review = shell.irm("carol", "postmortem", "INC-1")
    review_markdown = shell.irm("carol", "postmortem", "INC-1", "--markdown")
    missing = shell.irm("carol", "show", "INC-99")

    assert one_line(resolved.stdout) == "INC-1 resolved (restored) (version 8)"
    assert closed["status"] == "closed"
    assert closed["version"] == 9
    assert closed_again.exit_code == 1
    assert "INC-1 is closed and cannot change" in closed_again.stderr
    assert [item["type"] for item in timeline["items"]] == [
        "Declared",
        "RoleAssigned",
        "RoleAssigned",
        "SeverityChanged",
        "UpdatePosted",
        "UpdatePosted",
        "Escalated",
        "Resolved",
        "Closed",
    ]
    handed = timeline["items"][2]
    assert handed["summary"] == "alice assigned incident_commander to bob: my shift ends"
    # The table shows every entry on a row of its own: time, who, what.
    rows = [line.split("│") for line in timeline_table.stdout.splitlines() if "│" in line]
    assert [[cell.strip() for cell in row[1:]] for row in rows] == [
        [item["actor"], item["summary"]] for item in timeline["items"]
    ]
    assert markdown.stdout.startswith("## Timeline of INC-1: Checkout returns 500s\n")
    assert "| bob | bob escalated to payments-platform: OOM kills |" in markdown.stdout
    assert "Post-incident review of INC-1" in one_line(review.stdout)
    assert "required and pending" in review.stdout
    assert review_markdown.stdout.startswith("# Post-incident review: INC-1 Checkout returns 500s")
    assert missing.exit_code == 1
    assert "Incident not found (404 incident-not-found)" in missing.stderr
    assert "INC-99" in missing.stderr


async def test_watch_prints_each_event_as_it_happens(shell: Shell) -> None:
    auth = {"Authorization": f"Bearer {shell.tokens['alice']}"}
    async with httpx.AsyncClient(base_url=shell.server.base_url, headers=auth) as http:
        head = (await http.get("/readyz")).json()["log_position"]
        # From the head of the log: should the watch connect late on a busy machine, what it
        # missed is replayed, so the output is the same.
        watching = asyncio.create_task(
            asyncio.to_thread(
                shell.irm, "carol", "watch", "--json", "--seconds", "4", "--after", str(head)
            )
        )
        await asyncio.sleep(1.5)
        declared = (
            await http.post(
                "/v1/incidents",
                json={
                    "title": "Disk full on db-3",
                    "criteria": ["service_stability_at_risk"],
                    "severity": "P1",
                },
            )
        ).json()
        await http.post(
            "/v1/incidents/INC-1/severity", json={"severity": "P2", "reason": "replica lag"}
        )
    result = await watching
    one_incident = shell.irm("carol", "watch", "INC-1", "--after", "0", "--seconds", "1")

    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["reference"], e["type"]) for e in events] == [
        ("INC-1", "Declared"),
        ("INC-1", "SeverityChanged"),
    ]
    assert events[0]["incident_id"] == declared["id"]
    assert events[1]["summary"] == "alice changed severity P1 → P2: replica lag"
    assert one_incident.exit_code == 0
    assert [line.split()[2] for line in one_incident.stdout.splitlines()] == ["INC-1", "INC-1"]
    assert "Disk full on db-3" in one_incident.stdout


async def test_watch_ends_with_a_message_when_the_server_stops(shell: Shell) -> None:
    started = time.monotonic()
    watching = asyncio.create_task(asyncio.to_thread(shell.irm, "carol", "watch"))
    await asyncio.sleep(2)  # connected: the modules are loaded, a connection takes milliseconds

    exit_code = await asyncio.to_thread(shell.server.stop)
    stopped_after = time.monotonic() - started
    result = await asyncio.wait_for(watching, 30)

    assert exit_code == 0
    assert stopped_after < 15, "an open stream must not hold up the server's shutdown"
    assert result.exit_code == 5
    assert f"cannot reach the server at {shell.server.base_url}" in result.stderr
