"""Known people: a role (or an incident) goes only to someone irm knows, so that a typo cannot
take command of an incident; the people API and how a handle becomes known."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from shared.tokens import Scope
from tests.api.conftest import DECLARE, Headers, declare, events_of, post
from tests.api.oidc_provider import IdentityProvider, sso
from tests.conftest import TEAM, TokenFactory, bearer
from tests.problems import assert_problem


async def test_a_role_for_someone_unknown_is_refused_and_nothing_is_recorded(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice)

    typo = await post(
        client, alice, incident, "roles", {"role": "incident_commander", "assignee": " eirn "}
    )

    problem = assert_problem(typo, 422, "unknown-person")
    assert (problem["field"], problem["handle"]) == ("assignee", "eirn")
    assert "eirn" in problem["detail"]
    assert [e["type"] for e in await events_of(client, alice, incident["id"])] == ["Declared"]


async def test_an_incident_owned_by_someone_unknown_is_refused(
    client: httpx.AsyncClient, alice: Headers, pool: asyncpg.Pool
) -> None:
    response = await client.post("/v1/incidents", json={**DECLARE, "owner": "eirn"}, headers=alice)

    problem = assert_problem(response, 422, "unknown-person")
    assert problem["field"] == "owner"
    assert await pool.fetchval("SELECT count(*) FROM irm_events") == 0


async def test_an_admin_adds_a_person_who_may_then_hold_a_role(
    client: httpx.AsyncClient, alice: Headers, root: Headers
) -> None:
    incident = await declare(client, alice)

    added = await client.post(
        "/v1/people", json={"handle": "grace", "display_name": "Grace Hopper"}, headers=root
    )
    again = await client.post("/v1/people", json={"handle": "grace"}, headers=root)
    assigned = await post(
        client, alice, incident, "roles", {"role": "operations_lead", "assignee": "grace"}
    )

    assert added.status_code == 201, added.text
    assert added.headers["Location"] == "/v1/people/grace"
    assert (added.json()["handle"], added.json()["display_name"]) == ("grace", "Grace Hopper")
    assert added.json()["created_by"] == "root"
    assert_problem(again, 409, "person-exists")
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["roles"] == {"operations_lead": "grace"}


async def test_only_an_admin_adds_people_and_anyone_reads_them(
    client: httpx.AsyncClient, alice: Headers, carol: Headers
) -> None:
    refused = await client.post("/v1/people", json={"handle": "mallory"}, headers=alice)
    listed = await client.get("/v1/people", headers=carol)
    one = await client.get("/v1/people/dave", headers=carol)
    nobody = await client.get("/v1/people/mallory", headers=carol)

    assert_problem(refused, 403, "insufficient-scope")
    assert listed.status_code == 200, listed.text
    assert [p["handle"] for p in listed.json()["items"]] == sorted(TEAM)
    assert one.json()["handle"] == "dave"
    assert_problem(nobody, 404, "person-not-found")


async def test_a_token_makes_its_principal_known(
    client: httpx.AsyncClient, alice: Headers, root: Headers, make_token: TokenFactory
) -> None:
    incident = await declare(client, alice)
    await make_token("heidi", Scope.READ)  # as `irm tokens create` does
    created = await client.post("/v1/tokens", json={"principal": "ivan"}, headers=root)
    assert created.status_code == 201, created.text

    for handle in ("heidi", "ivan"):
        response = await post(
            client, alice, incident, "roles", {"role": "operations_lead", "assignee": handle}
        )
        assert response.status_code == 200, response.text


async def test_signing_in_makes_the_principal_known(
    open_client: Any,
    provider: IdentityProvider,
    alice: Headers,
) -> None:
    token = provider.token(preferred_username="judy", irm_scope="read")
    async with open_client(**sso(provider)) as http:
        incident = await declare(http, alice)
        before = await post(
            http, alice, incident, "roles", {"role": "operations_lead", "assignee": "judy"}
        )
        looked = await http.get("/v1/people", headers=bearer(token))
        after = await post(
            http, alice, incident, "roles", {"role": "operations_lead", "assignee": "judy"}
        )

    assert_problem(before, 422, "unknown-person")
    assert looked.status_code == 200, looked.text
    assert after.status_code == 200, after.text


async def test_a_handle_beyond_ascii_is_added_and_found_by_its_location(
    client: httpx.AsyncClient, root: Headers
) -> None:
    added = await client.post("/v1/people", json={"handle": "zoë 🚒"}, headers=root)

    assert added.status_code == 201, added.text
    assert added.headers["Location"] == "/v1/people/zo%C3%AB%20%F0%9F%9A%92"
    found = await client.get(added.headers["Location"], headers=root)
    assert found.json()["handle"] == "zoë 🚒"
