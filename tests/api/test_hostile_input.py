"""Hostile input: control characters in any text, and numbers no position or version can be.

A NUL in a text field used to reach PostgreSQL, which refuses it, and the client got a 500;
other C0 control characters were stored and went out in webhooks and post-mortems. Every
request text field now refuses U+0000 to U+001F, but tab, newline and carriage return (422
naming the field), and so does every query parameter (400 naming it). Nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from tests.api.conftest import (
    DECLARE,
    ClientFactory,
    Headers,
    assert_problem,
    declare,
    stored_events,
)
from tests.api.subscription_helpers import ALLOWED, RECEIVER, subscribe

# NUL, the other C0 controls at both ends and in the middle of the range, and ESC.
CONTROLS = ["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x1f"]
FOLLOW_UP_ID = str(uuid.uuid4())

# (path after /v1/incidents/{id}, a valid body, the text fields to spoil)
INCIDENT_COMMANDS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "/roles",
        {"role": "communications_lead", "assignee": "bob", "note": "n"},
        ["assignee", "note"],
    ),
    ("/severity", {"severity": "P1", "reason": "worse"}, ["reason"]),
    ("/impact", {"impact": "slow", "scope": "EU"}, ["impact", "scope"]),
    (
        "/tickets",
        {"system": "zendesk", "key": "Z-1", "url": "https://z.example/1"},
        ["system", "key", "url"],
    ),
    ("/updates", {"audience": "internal", "body": "hello"}, ["body"]),
    ("/escalations", {"target": "db-team", "reason": "slow"}, ["target", "reason"]),
    ("/resolve", {"resolution": "restored", "summary": "rolled back"}, ["summary"]),
    ("/reopen", {"reason": "back again"}, ["reason"]),
    ("/postmortem", {"facilitator": "bob"}, ["facilitator"]),
    ("/postmortem/root-cause", {"text": "a bad deploy"}, ["text"]),
    (
        "/postmortem/contributing-factors",
        {"text": "no canary", "category": "process"},
        ["text"],
    ),
    ("/postmortem/recommendations", {"text": "add a canary"}, ["text"]),
    (
        "/postmortem/follow-ups",
        {"title": "Add a canary", "owner": "bob", "due_date": "2030-01-01", "ticket": "T-1"},
        ["title", "owner", "due_date", "ticket"],
    ),
    (f"/postmortem/follow-ups/{FOLLOW_UP_ID}/complete", {"note": "done"}, ["note"]),
    (f"/postmortem/follow-ups/{FOLLOW_UP_ID}/reassign", {"owner": "dave"}, ["owner"]),
    (
        f"/postmortem/follow-ups/{FOLLOW_UP_ID}/due-date",
        {"due_date": "2030-02-01", "reason": "holidays"},
        ["due_date", "reason"],
    ),
    ("/postmortem/publish", {"no_follow_up_reason": "none needed"}, ["no_follow_up_reason"]),
]

COMMAND_CASES = [
    pytest.param(path, {**body, field: f"{body[field][:2]}{control}x"}, field, id=f"{path} {field}")
    for path, body, fields in INCIDENT_COMMANDS
    for field, control in zip(fields, CONTROLS * 2, strict=False)
]


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize(
    ("field", "spoil"),
    [
        ("title", lambda c: {"title": f"Checkout{c}returns 500s"}),
        ("title", lambda c: {"title": f"Checkout returns 500s{c}"}),
        ("description", lambda c: {"description": f"{c}"}),
        ("owner", lambda c: {"owner": f"al{c}ice"}),
        ("services.1", lambda c: {"services": ["checkout", f"pay{c}ments"]}),
    ],
    ids=["title", "title's end", "description", "owner", "a service"],
)
async def test_a_control_character_in_a_declare_is_422_naming_the_field(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    field: str,
    spoil: Any,
    control: str,
) -> None:
    response = await client.post("/v1/incidents", json={**DECLARE, **spoil(control)}, headers=alice)

    problem = assert_problem(response, 422, "validation-error", field=field)
    assert problem["errors"][0]["code"] == "control_character"
    assert f"U+{ord(control):04X}" in problem["detail"]
    assert await stored_events(pool) == 0


@pytest.mark.parametrize(("path", "body", "field"), COMMAND_CASES)
async def test_a_control_character_in_any_command_is_422_naming_the_field(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(f"/v1/incidents/{incident['id']}{path}", json=body, headers=alice)

    problem = assert_problem(response, 422, "validation-error", field=field)
    assert problem["errors"][0]["code"] == "control_character"
    assert await stored_events(pool) == 1


async def test_tab_newline_and_carriage_return_are_kept(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    text = "step 1:\tcheck\r\nstep 2:\tfix"

    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"audience": "internal", "body": text},
        headers=alice,
    )
    declared = await declare(client, alice, description=text)

    assert response.status_code == 200, response.text
    assert declared["description"] == text


async def test_a_control_character_in_the_idempotency_key_is_422(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    response = await client.post(
        "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": "pager\x017f3a"}
    )

    assert_problem(response, 422, "validation-error", field="idempotency-key")
    assert await stored_events(pool) == 0


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/incidents", {"q": "check\x00out"}, "q"),
        ("/v1/incidents", {"owner": "\x00"}, "owner"),
        ("/v1/incidents", {"service": "checkout\x1f"}, "service"),
        ("/v1/incidents", {"role_holder": "bob\x07"}, "role_holder"),
        ("/v1/incidents", {"sort": "number\x00"}, "sort"),
        ("/v1/incidents", {"cursor": "\x00"}, "cursor"),
        ("/v1/incidents", {"status": "open", "owner": "al\x1bice"}, "owner"),
        ("/v1/follow-ups", {"owner": "bob\x00"}, "owner"),
        ("/v1/follow-ups", {"status": "open\x00"}, "status"),
        ("/v1/metrics/incidents", {"severity": "P1\x00"}, "severity"),
        ("/v1/incidents/{id}/timeline", {"unknown": "\x00"}, "unknown"),
    ],
    ids=[
        "q",
        "owner",
        "service",
        "role_holder",
        "sort",
        "cursor",
        "second parameter",
        "follow-ups owner",
        "follow-ups status",
        "metrics severity",
        "an undeclared parameter",
    ],
)
async def test_a_control_character_in_a_query_parameter_is_400_naming_it(
    client: httpx.AsyncClient,
    alice: Headers,
    incident: dict[str, Any],
    path: str,
    params: dict[str, str],
    parameter: str,
) -> None:
    response = await client.get(path.format(id=incident["id"]), params=params, headers=alice)

    problem = assert_problem(response, 400, "invalid-query-parameter", field=parameter)
    assert problem["errors"] == [
        {
            "field": parameter,
            "message": problem["errors"][0]["message"],
            "code": "control_character",
        }
    ]


async def test_a_query_parameter_with_a_tab_is_only_a_search(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.get(
        "/v1/incidents",
        params={"q": "Checkout\tx", "min_position": incident["position"]},
        headers=alice,
    )

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": RECEIVER + "\x00"}, "url"),
        ({"url": "http://127.0.0.1:9/ho\x00oks"}, "url"),
        ({"url": RECEIVER, "description": "pager\x00bot"}, "description"),
        ({"url": RECEIVER, "description": "pager\x1bbot"}, "description"),
    ],
    ids=[
        "NUL ending the URL",
        "NUL in the URL",
        "NUL in the description",
        "ESC in the description",
    ],
)
async def test_a_control_character_in_a_subscription_is_422(
    open_client: ClientFactory,
    pool: asyncpg.Pool,
    root: Headers,
    body: dict[str, Any],
    field: str,
) -> None:
    async with open_client(webhook_allowed_targets=ALLOWED) as api:
        created = await api.post("/v1/subscriptions", json=body, headers=root)
        existing = await subscribe(api, root)
        changed = await api.patch(f"/v1/subscriptions/{existing['id']}", json=body, headers=root)
        listed = await api.get("/v1/subscriptions", headers=root)

    for response in (created, changed):
        problem = assert_problem(response, 422, "validation-error", field=field)
        assert problem["errors"][0]["code"] == "control_character"
    assert [(s["id"], s["url"], s["description"]) for s in listed.json()["items"]] == [
        (existing["id"], RECEIVER, None)
    ]
    assert int(await pool.fetchval("SELECT count(*) FROM irm_subscriptions")) == 1


async def test_a_control_character_in_a_deliveries_query_is_400(
    open_client: ClientFactory, root: Headers
) -> None:
    async with open_client(webhook_allowed_targets=ALLOWED) as api:
        existing = await subscribe(api, root)
        response = await api.get(
            f"/v1/subscriptions/{existing['id']}/deliveries",
            params={"status": "failed\x00"},
            headers=root,
        )

    assert_problem(response, 400, "invalid-query-parameter", field="status")


def test_every_api_route_checks_its_query_parameters() -> None:
    from services.incident_api.request_checks import CheckedRoute

    app = create_app(ApiSettings(database_url="postgresql://127.0.0.1:9/never-opened"))
    api_routes = [route for route in _routes(app.routes) if route.path.startswith("/v1/")]

    assert len(api_routes) > 30
    assert [r.path for r in api_routes if not isinstance(r, CheckedRoute)] == []


def _routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every endpoint, also those of included routers (which FastAPI keeps as one entry)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
