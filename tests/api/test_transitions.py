"""Commands the state does not allow: 409 with the rule's stable type, and nothing written."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import RESOLVE, Headers, assert_problem, post, stored_events


async def test_closing_an_open_incident_is_409_not_resolved(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await post(client, alice, incident, "close")

    assert_problem(response, 409, "incident-not-resolved")
    assert await stored_events(pool) == 1


async def test_reopening_an_open_incident_is_409_not_resolved(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await post(client, alice, incident, "reopen", {"reason": "again"})

    assert_problem(response, 409, "incident-not-resolved")
    assert await stored_events(pool) == 1


async def test_resolving_twice_is_409_not_open(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    assert (await post(client, alice, incident, "resolve", RESOLVE)).status_code == 200

    response = await post(client, alice, incident, "resolve", RESOLVE)

    assert_problem(response, 409, "incident-not-open")
    assert await stored_events(pool) == 2


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("roles", {"role": "operations_lead", "assignee": "bob"}),
        ("severity", {"severity": "P1", "reason": "worse"}),
        ("impact", {"impact": "none", "scope": "none"}),
        ("tickets", {"system": "jira", "key": "OPS-1"}),
        ("updates", {"audience": "customer", "body": "late note"}),
        ("escalations", {"target": "db-team", "reason": "late"}),
        ("resolve", RESOLVE),
        ("close", None),
    ],
)
async def test_a_command_on_a_closed_incident_is_409_closed(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    action: str,
    body: dict[str, Any] | None,
) -> None:
    assert (await post(client, alice, incident, "resolve", RESOLVE)).status_code == 200
    assert (await post(client, alice, incident, "close")).status_code == 200

    response = await post(client, alice, incident, action, body)

    assert_problem(response, 409, "incident-closed")
    assert await stored_events(pool) == 3


async def test_assigning_the_current_holder_again_is_409_role_already_held(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    role = {"role": "operations_lead", "assignee": "bob"}
    assert (await post(client, alice, incident, "roles", role)).status_code == 200

    response = await post(client, alice, incident, "roles", {**role, "note": "again"})

    problem = assert_problem(response, 409, "role-already-held")
    assert "bob" in problem["detail"]
    assert await stored_events(pool) == 2


async def test_the_same_severity_is_409_no_change(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await post(
        client, alice, incident, "severity", {"severity": incident["severity"], "reason": "same"}
    )

    assert_problem(response, 409, "no-change")
    assert await stored_events(pool) == 1


async def test_linking_the_same_ticket_twice_is_409_no_change(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    ticket = {"system": "zendesk", "key": "ZD-7"}
    assert (await post(client, alice, incident, "tickets", ticket)).status_code == 200

    response = await post(client, alice, incident, "tickets", ticket)

    assert_problem(response, 409, "no-change")
    assert await stored_events(pool) == 2
