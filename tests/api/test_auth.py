"""Who may do what: bearer tokens and their scopes, then the incident's own authority rules."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from shared.tokens import Scope
from tests.api.conftest import (
    DECLARE,
    Headers,
    assert_problem,
    events_of,
    read,
    stored_events,
)
from tests.conftest import TokenFactory, bearer

SEVERITY = {"severity": "P1", "reason": "spreading"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/incidents"),
        ("GET", "/v1/incidents/{id}"),
        ("GET", "/v1/incidents/{id}/events"),
        ("POST", "/v1/incidents/{id}/severity"),
    ],
)
async def test_no_token_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, incident: dict[str, Any], method: str, path: str
) -> None:
    body = DECLARE if method == "POST" and path == "/v1/incidents" else SEVERITY
    response = await client.request(
        method, path.format(id=incident["id"]), json=body if method == "POST" else None
    )

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_the_token_is_checked_before_the_body(
    client: httpx.AsyncClient, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/severity", json={"severity": "P9", "colour": "red"}
    )

    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer irm_not-a-real-token", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "irm_no_scheme"],
)
async def test_an_invalid_token_is_401(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, authorization: str
) -> None:
    response = await client.post(
        "/v1/incidents", json=DECLARE, headers={"Authorization": authorization}
    )

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await stored_events(pool) == 0


async def test_a_read_token_reads(
    client: httpx.AsyncClient, carol: Headers, incident: dict[str, Any]
) -> None:
    state = await read(client, carol, incident)
    recorded = await client.get(f"/v1/incidents/{incident['id']}/events", headers=carol)

    assert state.status_code == 200
    assert recorded.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [("", DECLARE), ("/{id}/severity", SEVERITY), ("/{id}/close", None)],
)
async def test_a_read_token_cannot_write(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    carol: Headers,
    incident: dict[str, Any],
    path: str,
    body: dict[str, Any] | None,
) -> None:
    response = await client.post(
        "/v1/incidents" + path.format(id=incident["id"]), json=body, headers=carol
    )

    problem = assert_problem(response, 403, "insufficient-scope")
    assert "write" in problem["detail"]
    assert await stored_events(pool) == 1


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("severity", SEVERITY),
        ("impact", {"impact": "slow", "scope": "EU"}),
        ("roles", {"role": "incident_commander", "assignee": "bob"}),
        ("escalations", {"target": "db-team", "reason": "replica lag"}),
        ("resolve", {"resolution": "restored", "summary": "fixed"}),
    ],
)
async def test_a_writer_who_is_not_the_acting_ic_is_refused(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    bob: Headers,
    incident: dict[str, Any],
    action: str,
    body: dict[str, Any],
) -> None:
    response = await client.post(f"/v1/incidents/{incident['id']}/{action}", json=body, headers=bob)

    problem = assert_problem(response, 403, "not-incident-authority")
    assert "bob" in problem["detail"]
    assert await stored_events(pool) == 1


async def test_the_owner_loses_authority_once_an_ic_is_named(
    client: httpx.AsyncClient, alice: Headers, dave: Headers, incident: dict[str, Any]
) -> None:
    path = f"/v1/incidents/{incident['id']}"
    named = await client.post(
        f"{path}/roles", json={"role": "incident_commander", "assignee": "dave"}, headers=alice
    )
    assert named.status_code == 200

    by_owner = await client.post(f"{path}/severity", json=SEVERITY, headers=alice)
    by_ic = await client.post(f"{path}/severity", json=SEVERITY, headers=dave)

    assert_problem(by_owner, 403, "not-incident-authority")
    assert by_ic.status_code == 200, by_ic.text


async def test_customer_updates_come_from_the_communications_lead(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    bob: Headers,
    dave: Headers,
    incident: dict[str, Any],
) -> None:
    path = f"/v1/incidents/{incident['id']}"
    named = await client.post(
        f"{path}/roles", json={"role": "communications_lead", "assignee": "dave"}, headers=alice
    )
    assert named.status_code == 200
    update = {"audience": "customer", "body": "We are investigating checkout errors."}

    by_bob = await client.post(f"{path}/updates", json=update, headers=bob)
    assert_problem(by_bob, 403, "not-incident-authority")
    assert await stored_events(pool) == 2

    by_lead = await client.post(f"{path}/updates", json=update, headers=dave)
    assert by_lead.status_code == 200, by_lead.text


async def test_any_writer_posts_internal_updates(
    client: httpx.AsyncClient, bob: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"audience": "internal", "body": "Seeing lock waits on db-3."},
        headers=bob,
    )

    assert response.status_code == 200, response.text


async def test_an_admin_breaks_glass_and_the_event_says_so(
    client: httpx.AsyncClient, alice: Headers, root: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/severity", json=SEVERITY, headers=root
    )

    assert response.status_code == 200, response.text
    assert response.json()["severity"] == "P1"
    changed = (await events_of(client, alice, incident["id"]))[-1]
    assert changed["type"] == "SeverityChanged"
    assert changed["actor"] == "root"
    assert changed["data"]["break_glass"] is True


async def test_an_admin_may_post_customer_updates_by_breaking_glass(
    client: httpx.AsyncClient, alice: Headers, root: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"audience": "customer", "body": "Checkout is degraded; we are on it."},
        headers=root,
    )

    assert response.status_code == 200, response.text
    posted = (await events_of(client, alice, incident["id"]))[-1]
    assert posted["actor"] == "root"
    assert posted["data"]["break_glass"] is True


async def test_the_acting_ic_does_not_break_glass(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/severity", json=SEVERITY, headers=alice
    )

    assert response.status_code == 200, response.text
    changed = (await events_of(client, alice, incident["id"]))[-1]
    assert changed["data"]["break_glass"] is False


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_probes_need_no_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.json()["status"] in {"ok", "ready"}


async def test_readiness_reports_the_log_head(
    client: httpx.AsyncClient, incident: dict[str, Any]
) -> None:
    response = await client.get("/readyz")

    ready = response.json()
    assert ready["status"] == "ready"
    assert ready["database"] == "ok"
    assert ready["log_position"] == incident["position"]
    assert "projector" in ready["followers"]


async def test_tokens_of_the_same_principal_act_as_that_principal(
    client: httpx.AsyncClient, make_token: TokenFactory, incident: dict[str, Any]
) -> None:
    second = bearer(await make_token("alice", Scope.WRITE))

    response = await client.post(
        f"/v1/incidents/{incident['id']}/severity", json=SEVERITY, headers=second
    )

    assert response.status_code == 200, response.text
