"""`irm people add` and `irm people list`: the people who may be given incident roles."""

from __future__ import annotations

import subprocess

import asyncpg
import pytest

from tests.conftest import TEAM
from tests.e2e.conftest import IRM, irm_env

pytestmark = pytest.mark.slow


def irm(database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run `irm` on the test's database and wait for it."""
    return subprocess.run(
        [IRM, *arguments],
        env=irm_env(IRM_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_people_are_added_once_and_listed(database_url: str, pool: asyncpg.Pool) -> None:
    added = irm(database_url, "people", "add", "grace", "--display-name", "Grace Hopper")
    again = irm(database_url, "people", "add", " grace ")
    listed = irm(database_url, "people", "list")

    assert added.returncode == 0, added.stderr
    assert "Added grace." in added.stderr
    assert again.returncode == 1
    assert "grace is already known" in again.stderr
    row = await pool.fetchrow(
        "SELECT display_name, created_by FROM irm_people WHERE handle = 'grace'"
    )
    assert row is not None
    assert row["display_name"] == "Grace Hopper"
    assert row["created_by"].startswith("cli")
    lines = listed.stdout.splitlines()
    assert lines[0] == "handle\tdisplay_name"
    assert "grace\tGrace Hopper" in lines
    assert {line.split("\t")[0] for line in lines[1:]} == {*TEAM, "grace"}


def test_an_empty_name_is_refused_with_a_clear_message(database_url: str) -> None:
    result = irm(database_url, "people", "add", "   ")

    assert result.returncode == 2
    assert "a handle must not be empty" in result.stderr
