"""Declaring an incident over HTTP, and reading its state back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import httpx

from shared.people import add_person
from tests.api.conftest import DECLARE, Headers, declare, events_of, read, same_state


async def test_declare_answers_201_with_the_new_incident(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    response = await client.post("/v1/incidents", json=DECLARE, headers=alice)

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/v1/incidents/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["number"] >= 1
    assert body["reference"] == f"INC-{body['number']}"
    assert body["title"] == DECLARE["title"]
    assert body["description"] == DECLARE["description"]
    assert body["status"] == "open"
    assert body["severity"] == "P2"
    assert body["criteria"] == DECLARE["criteria"]
    assert body["services"] == ["checkout", "payments"]
    assert body["owner"] == "alice"
    assert body["acting_commander"] == "alice"
    assert body["declared_by"] == "alice"
    assert body["roles"] == {}
    assert body["tickets"] == []
    assert body["version"] == 1
    assert datetime.fromisoformat(body["declared_at"])
    assert body["position"] >= 1


async def test_declare_with_only_the_required_fields(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    response = await client.post(
        "/v1/incidents",
        json={"title": "  Disk filling on db-3  ", "criteria": ["service_stability_at_risk"]},
        headers=alice,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "Disk filling on db-3"
    assert body["severity"] is None
    assert body["description"] is None
    assert body["services"] == []


async def test_declare_for_another_owner_makes_them_acting_commander(
    client: httpx.AsyncClient, alice: Headers, pool: asyncpg.Pool
) -> None:
    await add_person(pool, "oncall-sre", created_by="tests")  # only a known person may own one
    body = await declare(client, alice, owner="oncall-sre")

    assert body["owner"] == "oncall-sre"
    assert body["acting_commander"] == "oncall-sre"
    assert body["declared_by"] == "alice"


async def test_each_declare_gets_the_next_number(client: httpx.AsyncClient, alice: Headers) -> None:
    first = await declare(client, alice)
    second = await declare(client, alice)

    assert second["number"] > first["number"]
    assert second["id"] != first["id"]
    assert second["position"] > first["position"]


async def test_read_returns_the_state_and_its_version_as_etag(
    client: httpx.AsyncClient, carol: Headers, incident: dict[str, Any]
) -> None:
    response = await read(client, carol, incident)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    same_state(incident, response.json())


async def test_the_location_answers_once_the_read_model_has_the_position(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    created = await client.post("/v1/incidents", json=DECLARE, headers=alice)

    response = await client.get(
        created.headers["Location"],
        params={"min_position": created.json()["position"]},
        headers=alice,
    )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == created.json()["id"]


async def test_the_declared_event_records_who_and_what(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    [declared] = await events_of(client, alice, incident["id"])

    assert declared["type"] == "Declared"
    assert declared["version"] == 1
    assert declared["position"] == incident["position"]
    assert declared["actor"] == "alice"
    assert declared["data"]["title"] == DECLARE["title"]
    assert declared["data"]["criteria"] == DECLARE["criteria"]
    assert declared["data"]["owner"] == "alice"
