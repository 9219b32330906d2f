"""Bad subscription requests: a problem document naming what is wrong, and nothing written.

URLs that point inside our network are refused after resolving them, before anything connects;
the allowlist (IRM_WEBHOOK_ALLOWED_TARGETS) opens exactly what it lists.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from tests.api.conftest import ClientFactory, Headers, assert_problem
from tests.api.subscription_helpers import RECEIVER, subscribe

PUBLIC = "https://93.184.215.14/hooks"  # a global address: accepted, and never contacted here


@pytest_asyncio.fixture(loop_scope="session")
async def strict(open_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The API as shipped: no internal target allowed."""
    async with open_client(webhook_allowed_targets="") as http:
        yield http


async def subscriptions(pool: asyncpg.Pool) -> int:
    """How many subscriptions are stored."""
    return int(await pool.fetchval("SELECT count(*) FROM irm_subscriptions"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": RECEIVER, "secret": "whsec_mine"}, "secret"),
        ({"url": RECEIVER, "status": "paused"}, "status"),
        ({"url": RECEIVER, "event_types": ["incident.Declared"]}, "event_types.0"),
        ({"url": RECEIVER, "event_types": ["*", "dev.irm.incident.declared.v1"]}, "event_types.1"),
        ({"url": RECEIVER, "event_types": ["incident"]}, "event_types.0"),
        ({"url": RECEIVER, "event_types": "incident.*"}, "event_types"),
        ({"url": RECEIVER, "event_types": ["incident.*"] * 51}, "event_types"),
        ({"url": RECEIVER, "severities": ["P5"]}, "severities.0"),
        ({"url": RECEIVER, "severities": ["P1", "p2"]}, "severities.1"),
        ({"url": RECEIVER, "description": "x" * 1_001}, "description"),
        ({"event_types": ["incident.*"]}, "url"),
        ({"url": ""}, "url"),
        ({"url": "   "}, "url"),
        ({"url": 42}, "url"),
        ({"url": "http://127.0.0.1/" + "x" * 2_000}, "url"),
        ([{"url": RECEIVER}], "body"),
    ],
    ids=[
        "unknown field secret",
        "unknown field status",
        "pattern in capitals",
        "cloudevents type as pattern",
        "pattern without a type",
        "patterns not a list",
        "51 patterns",
        "unknown severity",
        "lower-case severity",
        "description of 1001 chars",
        "missing url",
        "empty url",
        "blank url",
        "url not a string",
        "url of 2018 chars",
        "not an object",
    ],
)
async def test_an_invalid_subscription_is_422_naming_the_field(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, body: Any, field: str
) -> None:
    response = await api.post("/v1/subscriptions", json=body, headers=root)

    problem = assert_problem(response, 422, "validation-error", field=field)
    assert problem["errors"][0]["field"] == field
    assert await subscriptions(pool) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hooks",
        "http://172.16.0.1/hooks",
        "http://192.168.1.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/hooks",
        "http://[::1]:8080/hooks",
        "http://[fc00::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://localhost:8080/hooks",
    ],
)
async def test_an_internal_url_is_refused_without_the_allowlist(
    strict: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, url: str
) -> None:
    response = await strict.post("/v1/subscriptions", json={"url": url}, headers=root)

    problem = assert_problem(response, 422, "unsafe-url", field="url")
    assert "internal address" in problem["detail"]
    assert "IRM_WEBHOOK_ALLOWED_TARGETS" in problem["detail"]
    assert problem["errors"] == [
        {"field": "url", "message": problem["detail"], "code": "unsafe_url"}
    ]
    assert await subscriptions(pool) == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/hooks", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("127.0.0.1:9/hooks", "only http and https"),
        ("http://user:secret@127.0.0.1:9/hooks", "credentials"),
        ("http://127.0.0.1:99999/hooks", "port"),
        ("http://127.0.0.1:0/hooks", "port"),
        ("http:///hooks", "no host"),
        ("http://10.0.0.1/hooks", "internal address"),
        ("http://169.254.169.254/latest/meta-data/", "internal address"),
    ],
)
async def test_the_allowlist_opens_only_loopback_http(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers, url: str, reason: str
) -> None:
    response = await api.post("/v1/subscriptions", json={"url": url}, headers=root)

    problem = assert_problem(response, 422, "unsafe-url", field="url")
    assert reason in problem["detail"]
    assert await subscriptions(pool) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "https://127.0.0.1:8443/hooks",
        "http://[::1]:9/hooks",
        "http://localhost:9/hooks",
    ],
)
async def test_with_the_allowlist_loopback_is_admitted(
    api: httpx.AsyncClient, root: Headers, url: str
) -> None:
    created = await subscribe(api, root, url=url)

    assert created["url"] == url


async def test_a_public_address_needs_no_allowlist(
    strict: httpx.AsyncClient, root: Headers
) -> None:
    response = await strict.post("/v1/subscriptions", json={"url": PUBLIC}, headers=root)

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": None}, "url"),
        ({"event_types": None}, "event_types"),
        ({"severities": None}, "severities"),
        ({"event_types": ["incident.declared", "Resolved"]}, "event_types.1"),
        ({"severities": ["P0"]}, "severities.0"),
        ({"secret": "whsec_mine"}, "secret"),
        ({"status": "active"}, "status"),
        ({"url": ""}, "url"),
    ],
)
async def test_an_invalid_change_is_422_and_changes_nothing(
    api: httpx.AsyncClient, root: Headers, body: dict[str, Any], field: str
) -> None:
    created = await subscribe(api, root, severities=["P1"], description="pager")
    path = f"/v1/subscriptions/{created['id']}"

    response = await api.patch(path, json=body, headers=root)

    assert_problem(response, 422, "validation-error", field=field)
    stored = (await api.get(path, headers=root)).json()
    assert stored == {k: v for k, v in created.items() if k != "secret"}


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hooks", "ftp://127.0.0.1/hooks", "http://169.254.169.254/"]
)
async def test_changing_to_an_unsafe_url_is_refused(
    api: httpx.AsyncClient, root: Headers, url: str
) -> None:
    created = await subscribe(api, root)
    path = f"/v1/subscriptions/{created['id']}"

    response = await api.patch(path, json={"url": url, "description": "moved"}, headers=root)

    assert_problem(response, 422, "unsafe-url", field="url")
    stored = (await api.get(path, headers=root)).json()
    assert stored == {k: v for k, v in created.items() if k != "secret"}


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"description": "x"}),
        ("DELETE", "", None),
        ("POST", "/pause", None),
        ("POST", "/resume", None),
        ("POST", "/rotate-secret", None),
        ("GET", "/deliveries", None),
        ("POST", f"/deliveries/{uuid.uuid4()}/redeliver", None),
        ("POST", "/replay", {"from_position": 1}),
    ],
)
async def test_an_unknown_subscription_is_404(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    root: Headers,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    unknown = uuid.uuid4()

    response = await api.request(
        method, f"/v1/subscriptions/{unknown}{suffix}", json=body, headers=root
    )

    problem = assert_problem(response, 404, "subscription-not-found")
    assert str(unknown) in problem["detail"]
    assert await subscriptions(pool) == 0


async def test_an_id_that_is_not_a_uuid_is_422(api: httpx.AsyncClient, root: Headers) -> None:
    response = await api.get("/v1/subscriptions/42", headers=root)

    assert_problem(response, 422, "validation-error", field="subscription_id")


async def test_redelivering_an_unknown_delivery_is_404(
    api: httpx.AsyncClient, pool: asyncpg.Pool, root: Headers
) -> None:
    created = await subscribe(api, root)
    unknown = uuid.uuid4()

    response = await api.post(
        f"/v1/subscriptions/{created['id']}/deliveries/{unknown}/redeliver", headers=root
    )

    problem = assert_problem(response, 404, "delivery-not-found")
    assert str(unknown) in problem["detail"]
    assert await pool.fetchval("SELECT count(*) FROM irm_deliveries") == 0


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"limit": "many"}, {"before": 0}, {"status": "lost"}],
    ids=["limit 0", "limit 201", "limit not a number", "before 0", "unknown status"],
)
async def test_a_bad_delivery_log_query_is_422(
    api: httpx.AsyncClient, root: Headers, params: dict[str, Any]
) -> None:
    created = await subscribe(api, root)

    response = await api.get(
        f"/v1/subscriptions/{created['id']}/deliveries", params=params, headers=root
    )

    assert_problem(response, 422, "validation-error", field=next(iter(params)))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "from_position"),
        ({"from_position": 0}, "from_position"),
        ({"from_position": "start"}, "from_position"),
        ({"from_position": 1, "max_events": 0}, "max_events"),
        ({"from_position": 1, "max_events": 100_001}, "max_events"),
        ({"from_position": 1, "to_position": 9}, "to_position"),
    ],
)
async def test_a_bad_replay_is_422_and_queues_nothing(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    root: Headers,
    body: dict[str, Any],
    field: str,
) -> None:
    created = await subscribe(api, root)

    response = await api.post(f"/v1/subscriptions/{created['id']}/replay", json=body, headers=root)

    assert_problem(response, 422, "validation-error", field=field)
    assert await pool.fetchval("SELECT count(*) FROM irm_deliveries") == 0
