"""Webhook subscriptions: an admin subscribes a URL, manages it and rotates its secret.

The API runs with loopback targets allowed (IRM_WEBHOOK_ALLOWED_TARGETS), as tests and internal
receivers configure it. No notifier runs here, so the receiver URL is never contacted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from shared.webhooks.message import sign
from shared.webhooks.subscriptions import set_status, signing_secrets
from tests.api.conftest import ClientFactory, Headers, assert_problem
from tests.api.subscription_helpers import ALLOWED, RECEIVER, subscribe

BODY = b'{"specversion":"1.0","id":"msg_1","type":"dev.irm.incident.declared.v1"}'


def verifies(secret: str, signature: str, timestamp: datetime) -> bool:
    """Whether a receiver holding `secret` accepts BODY with this signature header."""
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
    try:
        Webhook(secret).verify(BODY, headers)
    except Exception:
        return False
    return True


async def test_creating_a_subscription_answers_201_with_where_it_is_and_its_secret(
    api: httpx.AsyncClient, root: Headers
) -> None:
    response = await api.post(
        "/v1/subscriptions",
        json={
            "url": RECEIVER,
            "event_types": ["incident.declared", "incident.resolved"],
            "severities": ["P1", "P2"],
            "description": "pager bridge",
        },
        headers=root,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/subscriptions/{created['id']}"
    assert created["secret"].startswith("whsec_")
    assert {k: created[k] for k in ("url", "event_types", "severities", "description")} == {
        "url": RECEIVER,
        "event_types": ["incident.declared", "incident.resolved"],
        "severities": ["P1", "P2"],
        "description": "pager bridge",
    }
    assert created["status"] == "active"
    assert created["disabled_reason"] is None
    assert created["created_by"] == "root"
    assert created["created_at"] == created["updated_at"]
    stored = await api.get(response.headers["Location"], headers=root)
    assert stored.status_code == 200
    assert stored.json() == {k: v for k, v in created.items() if k != "secret"}


async def test_by_default_a_subscription_wants_every_event_of_every_severity(
    api: httpx.AsyncClient, root: Headers
) -> None:
    created = await subscribe(api, root)

    assert created["event_types"] == ["incident.*"]
    assert created["severities"] == []
    assert created["description"] is None


async def test_the_secret_is_shown_once_and_signs(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}"

    answers = [
        await api.get(path, headers=root),
        await api.get("/v1/subscriptions", headers=root),
        await api.patch(path, json={"description": "changed"}, headers=root),
        await api.post(f"{path}/pause", headers=root),
        await api.post(f"{path}/resume", headers=root),
    ]

    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert created["secret"] not in answer.text
        assert "secret" not in answer.text
    assert await signing_secrets(pool, created["id"]) == [created["secret"]]


async def test_the_list_shows_every_subscription_oldest_first(
    api: httpx.AsyncClient, root: Headers
) -> None:
    first = await subscribe(api, root, description="first")
    second = await subscribe(api, root, url="http://[::1]:9/hooks", description="second")

    response = await api.get("/v1/subscriptions", headers=root)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [first["id"], second["id"]]
    assert [i["url"] for i in items] == [RECEIVER, "http://[::1]:9/hooks"]


async def test_an_empty_list(api: httpx.AsyncClient, root: Headers) -> None:
    response = await api.get("/v1/subscriptions", headers=root)

    assert response.status_code == 200
    assert response.json() == {"items": []}


async def test_patch_changes_only_the_fields_sent(api: httpx.AsyncClient, root: Headers) -> None:
    created = await subscribe(api, root, description="pager bridge", severities=["P1"])
    path = f"/v1/subscriptions/{created['id']}"

    response = await api.patch(
        path,
        json={"url": "http://localhost:8080/irm", "event_types": ["incident.follow_up_*"]},
        headers=root,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["url"] == "http://localhost:8080/irm"
    assert changed["event_types"] == ["incident.follow_up_*"]
    assert changed["severities"] == ["P1"]
    assert changed["description"] == "pager bridge"
    assert changed["updated_at"] > created["updated_at"]
    assert changed["created_at"] == created["created_at"]
    assert (await api.get(path, headers=root)).json() == changed


async def test_patch_may_clear_the_filters_and_the_description(
    api: httpx.AsyncClient, root: Headers
) -> None:
    created = await subscribe(api, root, description="pager bridge", severities=["P1"])
    path = f"/v1/subscriptions/{created['id']}"

    response = await api.patch(
        path, json={"severities": [], "event_types": [], "description": None}, headers=root
    )

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("event_types", "severities", "description")} == {
        "event_types": [],
        "severities": [],
        "description": None,
    }


async def test_an_empty_patch_changes_nothing(api: httpx.AsyncClient, root: Headers) -> None:
    created = await subscribe(api, root)

    response = await api.patch(f"/v1/subscriptions/{created['id']}", json={}, headers=root)

    assert response.status_code == 200
    assert response.json() == {k: v for k, v in created.items() if k != "secret"}


async def test_delete_answers_204_and_then_the_subscription_is_gone(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await subscribe(api, root)
    kept = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}"

    deleted = await api.delete(path, headers=root)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(await api.get(path, headers=root), 404, "subscription-not-found")
    assert_problem(await api.delete(path, headers=root), 404, "subscription-not-found")
    assert_problem(await api.get(f"{path}/deliveries", headers=root), 404, "subscription-not-found")
    listed = (await api.get("/v1/subscriptions", headers=root)).json()["items"]
    assert [s["id"] for s in listed] == [kept["id"]]
    assert await signing_secrets(pool, created["id"]) == []


async def test_pause_and_resume(api: httpx.AsyncClient, root: Headers) -> None:
    created = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}"

    paused = await api.post(f"{path}/pause", headers=root)
    seen_paused = await api.get(path, headers=root)
    resumed = await api.post(f"{path}/resume", headers=root)

    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    assert seen_paused.json()["status"] == "paused"
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    assert (await api.get(path, headers=root)).json()["status"] == "active"


async def test_pausing_twice_and_resuming_an_active_subscription_are_harmless(
    api: httpx.AsyncClient, root: Headers
) -> None:
    created = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}"

    assert (await api.post(f"{path}/resume", headers=root)).json()["status"] == "active"
    await api.post(f"{path}/pause", headers=root)
    assert (await api.post(f"{path}/pause", headers=root)).json()["status"] == "paused"


async def test_resume_enables_a_subscription_disabled_by_a_410(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}"
    await set_status(pool, created["id"], "disabled", "the receiver answered 410 Gone")
    disabled = (await api.get(path, headers=root)).json()

    resumed = await api.post(f"{path}/resume", headers=root)

    assert (disabled["status"], disabled["disabled_reason"]) == (
        "disabled",
        "the receiver answered 410 Gone",
    )
    assert resumed.status_code == 200
    assert (resumed.json()["status"], resumed.json()["disabled_reason"]) == ("active", None)


async def test_rotating_the_secret_signs_with_both_during_the_grace_period(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await subscribe(api, root)
    old = created["secret"]

    response = await api.post(f"/v1/subscriptions/{created['id']}/rotate-secret", headers=root)

    assert response.status_code == 200, response.text
    rotated = response.json()
    new = rotated["secret"]
    assert new.startswith("whsec_")
    assert new != old
    # The API's default grace period is a day, counted from the rotation on the database clock.
    database_now = await pool.fetchval("SELECT now()")
    expires_at = datetime.fromisoformat(rotated["previous_secrets_expire_at"])
    assert database_now < expires_at <= database_now + timedelta(days=1)
    assert await signing_secrets(pool, created["id"]) == [new, old]
    now = datetime.now(tz=UTC)
    signature = sign("msg_1", now, BODY, [new, old])
    assert verifies(old, signature, now)
    assert verifies(new, signature, now)


async def test_after_the_grace_period_only_the_new_secret_signs(
    open_client: ClientFactory, pool: asyncpg.Pool, root: Headers
) -> None:
    async with open_client(webhook_allowed_targets=ALLOWED, webhook_secret_grace_seconds=0) as api:
        created = await subscribe(api, root)
        response = await api.post(f"/v1/subscriptions/{created['id']}/rotate-secret", headers=root)

    new = response.json()["secret"]
    assert await signing_secrets(pool, created["id"]) == [new]
    now = datetime.now(tz=UTC)
    signature = sign("msg_1", now, BODY, [new])
    assert verifies(new, signature, now)
    assert not verifies(created["secret"], signature, now)


async def test_rotating_twice_keeps_every_unexpired_secret_and_their_first_expiry(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}/rotate-secret"

    first = (await api.post(path, headers=root)).json()
    second = (await api.post(path, headers=root)).json()

    assert await signing_secrets(pool, created["id"]) == [
        second["secret"],
        first["secret"],
        created["secret"],
    ]
    expiries = dict(
        await pool.fetch(
            "SELECT secret, expires_at FROM irm_subscription_secrets WHERE subscription_id = $1",
            created["id"],
        )
    )
    assert expiries[created["secret"]] == datetime.fromisoformat(
        first["previous_secrets_expire_at"]
    )
    assert expiries[first["secret"]] == datetime.fromisoformat(second["previous_secrets_expire_at"])
    assert expiries[second["secret"]] is None


def every_endpoint(subscription_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every subscription endpoint with a body it would accept."""
    path = f"/v1/subscriptions/{subscription_id}"
    return [
        ("POST", "/v1/subscriptions", {"url": RECEIVER}),
        ("GET", "/v1/subscriptions", None),
        ("GET", path, None),
        ("PATCH", path, {"description": "mine now"}),
        ("DELETE", path, None),
        ("POST", f"{path}/pause", None),
        ("POST", f"{path}/resume", None),
        ("POST", f"{path}/rotate-secret", None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/deliveries/{subscription_id}/redeliver", None),
        ("POST", f"{path}/replay", {"from_position": 1}),
    ]


@pytest.mark.parametrize("who", ["nobody", "alice", "carol"])
async def test_only_an_admin_may_use_subscriptions(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    root: Headers,
    alice: Headers,
    carol: Headers,
    who: str,
) -> None:
    created = await subscribe(api, root)
    before = (await api.get(f"/v1/subscriptions/{created['id']}", headers=root)).json()
    headers = {"nobody": {}, "alice": alice, "carol": carol}[who]

    for method, path, body in every_endpoint(created["id"]):
        response = await api.request(method, path, json=body, headers=headers)

        if who == "nobody":
            assert_problem(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"] == "Bearer"
        else:
            problem = assert_problem(response, 403, "insufficient-scope")
            assert "needs scope admin" in problem["detail"]
        assert created["secret"] not in response.text

    after = (await api.get(f"/v1/subscriptions/{created['id']}", headers=root)).json()
    assert after == before
    assert await pool.fetchval("SELECT count(*) FROM irm_subscriptions") == 1
    assert await signing_secrets(pool, created["id"]) == [created["secret"]]
    assert await pool.fetchval("SELECT count(*) FROM irm_deliveries") == 0


async def test_the_token_is_checked_before_the_body(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/subscriptions", json={"url": "ftp://10.0.0.1/", "colour": "red"})

    assert_problem(response, 401, "unauthorized")
