"""Idempotency-Key on declare: a retried request never makes a second incident."""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import httpx

from tests.api.conftest import DECLARE, Headers, assert_problem, events_of

KEY = "7d0b7d2e-retry-of-the-pager-bot"


async def declared_incidents(pool: asyncpg.Pool) -> int:
    """How many Declared events the log holds."""
    return int(
        await pool.fetchval("SELECT count(*) FROM irm_events WHERE topic = 'irm:Incident.Declared'")
    )


async def test_the_same_key_and_body_return_the_first_incident(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    headers = {**alice, "Idempotency-Key": KEY}

    first = await client.post("/v1/incidents", json=DECLARE, headers=headers)
    again = await client.post("/v1/incidents", json=DECLARE, headers=headers)

    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert await declared_incidents(pool) == 1
    assert len(await events_of(client, alice, first.json()["id"])) == 1


async def test_a_replay_answers_with_the_incident_as_it_is_now(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    headers = {**alice, "Idempotency-Key": KEY}
    first = (await client.post("/v1/incidents", json=DECLARE, headers=headers)).json()
    changed = await client.post(
        f"/v1/incidents/{first['id']}/severity",
        json={"severity": "P1", "reason": "spreading"},
        headers=alice,
    )
    assert changed.status_code == 200

    again = await client.post("/v1/incidents", json=DECLARE, headers=headers)

    assert again.json()["id"] == first["id"]
    assert again.json()["severity"] == "P1"
    assert again.headers["ETag"] == '"2"'
    assert again.json()["position"] == first["position"]


async def test_the_same_key_with_a_different_body_is_422(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    headers = {**alice, "Idempotency-Key": KEY}
    first = await client.post("/v1/incidents", json=DECLARE, headers=headers)
    assert first.status_code == 201

    other = await client.post(
        "/v1/incidents", json={**DECLARE, "title": "Something else"}, headers=headers
    )

    assert_problem(other, 422, "idempotency-key-reused")
    assert await declared_incidents(pool) == 1


async def test_the_same_key_of_another_principal_is_independent(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, bob: Headers
) -> None:
    by_alice = await client.post(
        "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": KEY}
    )
    by_bob = await client.post(
        "/v1/incidents", json=DECLARE, headers={**bob, "Idempotency-Key": KEY}
    )

    assert by_alice.status_code == by_bob.status_code == 201
    assert "Idempotent-Replayed" not in by_bob.headers
    assert by_bob.json()["id"] != by_alice.json()["id"]
    assert by_bob.json()["owner"] == "bob"
    assert await declared_incidents(pool) == 2


async def test_without_a_key_each_declare_is_a_new_incident(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    first = await client.post("/v1/incidents", json=DECLARE, headers=alice)
    second = await client.post("/v1/incidents", json=DECLARE, headers=alice)

    assert first.json()["id"] != second.json()["id"]
    assert await declared_incidents(pool) == 2


async def test_concurrent_declares_with_one_key_make_one_incident(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    headers = {**alice, "Idempotency-Key": KEY}

    answers = await asyncio.gather(
        *(client.post("/v1/incidents", json=DECLARE, headers=headers) for _ in range(8))
    )

    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 7
    assert await declared_incidents(pool) == 1
    assert await pool.fetchval("SELECT count(DISTINCT originator_id) FROM irm_events") == 1


async def test_the_stored_fingerprint_is_the_one_earlier_versions_stored(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    # Keys outlive deployments: a retry after an upgrade must match what the older code stored,
    # the SHA-256 of the trimmed request as JSON with sorted keys.
    body = {**DECLARE, "title": "  Checkout returns 500s  ", "owner": "bob"}
    canonical = (
        b'{"criteria":["customer_sla_at_risk","production_workloads_affected"],'
        b'"description":"Error rate on /checkout above 20% since 03:05","owner":"bob",'
        b'"services":["checkout","payments"],"severity":"P2","title":"Checkout returns 500s"}'
    )

    response = await client.post(
        "/v1/incidents", json=body, headers={**alice, "Idempotency-Key": KEY}
    )

    assert response.status_code == 201, response.text
    stored = await pool.fetchval(
        "SELECT request_fingerprint FROM irm_idempotency_keys WHERE idempotency_key = $1", KEY
    )
    assert stored == hashlib.sha256(canonical).hexdigest()
    assert stored == "d0955f6514051951f2c387f0be542a1a64051494b4d865231460d2a11c38c584"
