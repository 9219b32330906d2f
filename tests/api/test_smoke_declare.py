"""Declare an incident over HTTP and read it back."""

from __future__ import annotations

import httpx

from shared.tokens import Scope
from tests.conftest import TokenFactory, bearer


async def test_declare_then_read(client: httpx.AsyncClient, make_token: TokenFactory) -> None:
    token = await make_token("alice", Scope.WRITE)
    created = await client.post(
        "/v1/incidents",
        json={"title": "Checkout 500s", "criteria": ["customer_sla_at_risk"], "severity": "P2"},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["owner"] == "alice"
    assert body["reference"] == f"INC-{body['number']}"
    read = await client.get(
        created.headers["Location"],
        params={"min_position": body["position"]},
        headers=bearer(token),
    )
    assert read.status_code == 200
    assert read.json()["title"] == "Checkout 500s"
    assert read.headers["ETag"] == '"1"'
