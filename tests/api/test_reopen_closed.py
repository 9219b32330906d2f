"""POST /v1/incidents/{id}/reopen on a closed incident (issue 10): the IC of record or an admin,
with a reason, within IRM_REOPEN_CLOSED_WINDOW of its closing; outside it, 409
reopen-window-passed and nothing recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import (
    RESOLVE,
    ClientFactory,
    Headers,
    assert_problem,
    declare,
    events_of,
    post,
    read,
    stored_events,
)

REOPEN = {"reason": "errors are back"}


async def close(client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any]) -> None:
    assert (await post(client, headers, incident, "resolve", RESOLVE)).status_code == 200
    assert (await post(client, headers, incident, "close")).status_code == 200


@pytest.mark.parametrize("who", ["alice", "root"])
async def test_the_ic_of_record_or_an_admin_reopens_a_closed_incident(
    client: httpx.AsyncClient,
    alice: Headers,
    root: Headers,
    incident: dict[str, Any],
    who: str,
) -> None:
    await close(client, alice, incident)

    response = await post(client, alice if who == "alice" else root, incident, "reopen", REOPEN)

    assert response.status_code == 200, response.text
    view = (await read(client, alice, response.json())).json()
    assert (view["status"], view["closed_at"], view["resolution"]) == ("open", None, None)
    reopened = (await events_of(client, alice, incident["id"]))[-1]
    assert reopened["type"] == "Reopened"
    assert reopened["data"] == {
        "reason": "errors are back",
        "break_glass": who == "root",
        "was_closed": True,
    }


async def test_a_responder_may_not_reopen_a_closed_incident(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    dave: Headers,
    incident: dict[str, Any],
) -> None:
    await close(client, alice, incident)

    response = await post(client, dave, incident, "reopen", REOPEN)

    assert response.status_code == 403, response.text
    assert await stored_events(pool) == 3


async def test_a_reopen_needs_a_reason(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    await close(client, alice, incident)

    response = await post(client, alice, incident, "reopen", {})

    assert response.status_code == 422, response.text


async def test_outside_the_window_it_is_409_reopen_window_passed(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, root: Headers
) -> None:
    async with open_client(reopen_closed_window="PT0.05S") as api:
        incident = await declare(api, alice)
        await close(api, alice, incident)
        before = await stored_events(pool)
        await asyncio.sleep(0.1)

        for headers in (alice, root):
            response = await post(api, headers, incident, "reopen", REOPEN)

            problem = assert_problem(response, 409, "reopen-window-passed")
            assert "within" in problem["detail"]
        assert await stored_events(pool) == before


async def test_a_resolved_incident_reopens_whatever_the_window(
    open_client: ClientFactory, alice: Headers
) -> None:
    async with open_client(reopen_closed_window="PT0S") as api:
        incident = await declare(api, alice)
        assert (await post(api, alice, incident, "resolve", RESOLVE)).status_code == 200

        response = await post(api, alice, incident, "reopen", REOPEN)

        assert response.status_code == 200, response.text
        assert (await events_of(api, alice, incident["id"]))[-1]["data"]["was_closed"] is False
