"""Bad requests: each is a problem document naming what is wrong, and nothing is written."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import DECLARE, Headers, assert_problem, declare, stored_events

TOO_LONG_BODY = 64 * 1024 + 1


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    """`body` without one of its fields."""
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DECLARE, "sevrity": "P1"}, "sevrity"),
        ({**DECLARE, "severity": "P5"}, "severity"),
        ({**DECLARE, "severity": "p1"}, "severity"),
        ({**DECLARE, "criteria": ["it_feels_bad"]}, "criteria.0"),
        ({**DECLARE, "title": ""}, "title"),
        ({**DECLARE, "title": "   \t "}, "title"),
        ({**DECLARE, "title": "x" * 201}, "title"),
        ({**DECLARE, "title": 42}, "title"),
        (without(DECLARE, "title"), "title"),
        (without(DECLARE, "criteria"), "criteria"),
        ({**DECLARE, "criteria": []}, "criteria"),
        ({**DECLARE, "services": ["checkout", " "]}, "services.1"),
        ({**DECLARE, "owner": ""}, "owner"),
        ([DECLARE], "body"),
    ],
    ids=[
        "unknown field",
        "unknown severity",
        "lower-case severity",
        "unknown criterion",
        "empty title",
        "whitespace title",
        "title of 201 chars",
        "title not a string",
        "missing title",
        "missing criteria",
        "empty criteria",
        "blank service name",
        "empty owner",
        "not an object",
    ],
)
async def test_an_invalid_declare_is_422_naming_the_field(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, body: Any, field: str
) -> None:
    response = await client.post("/v1/incidents", json=body, headers=alice)

    problem = assert_problem(response, 422, "validation-error", field=field)
    assert problem["errors"][0]["field"] == field
    assert problem["detail"].startswith(f"{field}: ")
    assert await stored_events(pool) == 0


async def test_a_title_of_200_chars_is_accepted(client: httpx.AsyncClient, alice: Headers) -> None:
    body = await declare(client, alice, title="x" * 200)

    assert len(body["title"]) == 200


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("roles", {"role": "king", "assignee": "bob"}, "role"),
        ("roles", {"role": "incident_commander", "assignee": "bob", "notes": "x"}, "notes"),
        ("roles", {"role": "incident_commander", "assignee": "  "}, "assignee"),
        ("severity", {"severity": "P0", "reason": "worse"}, "severity"),
        ("severity", {"severity": "P1"}, "reason"),
        ("impact", {"impact": "slow"}, "scope"),
        ("tickets", {"system": "zendesk"}, "key"),
        ("updates", {"audience": "everyone", "body": "hello"}, "audience"),
        ("updates", {"audience": "internal", "body": "x" * 10_001}, "body"),
        ("updates", {"audience": "internal", "body": " \n "}, "body"),
        ("escalations", {"target": "db-team", "reason": ""}, "reason"),
        ("resolve", {"resolution": "fixed", "summary": "done"}, "resolution"),
        ("resolve", {"resolution": "restored"}, "summary"),
        ("close", {"reason": "done"}, "reason"),
        ("reopen", {}, "reason"),
    ],
    ids=[
        "unknown role",
        "unknown field",
        "blank assignee",
        "unknown severity",
        "severity without reason",
        "impact without scope",
        "ticket without key",
        "unknown audience",
        "update body of 10001 chars",
        "blank update body",
        "empty escalation reason",
        "unknown resolution",
        "resolve without summary",
        "close with a field",
        "reopen without reason",
    ],
)
async def test_an_invalid_command_is_422_naming_the_field(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    action: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/{action}", json=body, headers=alice
    )

    assert_problem(response, 422, "validation-error", field=field)
    assert await stored_events(pool) == 1


async def test_an_update_body_of_10000_chars_is_accepted(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"audience": "internal", "body": "x" * 10_000},
        headers=alice,
    )

    assert response.status_code == 200, response.text


async def test_a_body_over_64_kib_is_413(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    body = {"audience": "internal", "body": "x" * TOO_LONG_BODY}

    response = await client.post(
        f"/v1/incidents/{incident['id']}/updates", json=body, headers=alice
    )

    assert_problem(response, 413, "payload-too-large")
    assert await stored_events(pool) == 1


async def test_a_streamed_body_over_64_kib_is_413(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must hold while the body arrives.
        yield json.dumps({**DECLARE, "description": "x" * TOO_LONG_BODY}).encode()

    response = await client.post(
        "/v1/incidents",
        content=chunks(),
        headers={**alice, "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload-too-large")
    assert await stored_events(pool) == 0


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"title": "unterminated', b"\x80garbage", b'{"title": "\xc3"}'],
    ids=["not json", "truncated", "not utf-8", "bad utf-8 in a string"],
)
async def test_a_body_that_is_not_json_is_400(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, content: bytes
) -> None:
    response = await client.post(
        "/v1/incidents", content=content, headers={**alice, "Content-Type": "application/json"}
    )

    assert_problem(response, 400, "invalid-json")
    assert await stored_events(pool) == 0


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", json.dumps(DECLARE).encode()),
        ("application/x-www-form-urlencoded", b"title=Checkout&criteria=customer_sla_at_risk"),
        ("text/json", json.dumps(DECLARE).encode()),
        ("application/jsonl", json.dumps(DECLARE).encode()),
        (None, json.dumps(DECLARE).encode()),
    ],
    ids=["text", "form", "text/json", "json lines", "no content type"],
)
async def test_a_body_that_is_not_declared_json_is_415(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    content_type: str | None,
    content: bytes,
) -> None:
    headers = alice if content_type is None else {**alice, "Content-Type": content_type}

    response = await client.post("/v1/incidents", content=content, headers=headers)

    assert_problem(response, 415, "unsupported-media-type")
    assert await stored_events(pool) == 0


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/json; charset=utf-8"])
async def test_json_media_types_are_matched_like_http_does(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], content_type: str
) -> None:
    headers = {**alice, "Content-Type": content_type}
    path = f"/v1/incidents/{incident['id']}/updates"

    accepted = await client.post(
        path, content=json.dumps({"audience": "internal", "body": "ok"}), headers=headers
    )
    field_named_body = await client.post(
        path, content=json.dumps({"audience": "internal", "body": ""}), headers=headers
    )
    not_an_object = await client.post(path, content=b"[1]", headers=headers)

    assert accepted.status_code == 200, accepted.text
    assert_problem(field_named_body, 422, "validation-error", field="body")
    assert_problem(not_an_object, 422, "validation-error", field="body")


async def test_close_with_a_non_json_body_is_415(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/close",
        content=b"please",
        headers={**alice, "Content-Type": "text/plain"},
    )

    assert_problem(response, 415, "unsupported-media-type")
    assert await stored_events(pool) == 1


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("GET", "", None),
        ("GET", "/events", None),
        ("POST", "/severity", {"severity": "P1", "reason": "worse"}),
        ("POST", "/close", None),
    ],
)
async def test_an_unknown_incident_is_404(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    method: str,
    action: str,
    body: dict[str, Any] | None,
) -> None:
    unknown = uuid.uuid4()

    response = await client.request(
        method, f"/v1/incidents/{unknown}{action}", json=body, headers=alice
    )

    problem = assert_problem(response, 404, "incident-not-found")
    assert str(unknown) in problem["detail"]
    assert await stored_events(pool) == 1


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("GET", "", None),
        ("GET", "/events", None),
        ("POST", "/severity", {"severity": "P1", "reason": "worse"}),
    ],
)
async def test_a_malformed_incident_id_is_422(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    method: str,
    action: str,
    body: dict[str, Any] | None,
) -> None:
    response = await client.request(
        method, f"/v1/incidents/INC-1x{action}", json=body, headers=alice
    )

    assert_problem(response, 422, "validation-error", field="incident_id")
    assert await stored_events(pool) == 1


async def test_an_idempotency_key_over_200_chars_is_422(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers
) -> None:
    response = await client.post(
        "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": "k" * 201}
    )

    assert_problem(response, 422, "validation-error", field="idempotency-key")
    assert await stored_events(pool) == 0


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient, alice: Headers) -> None:
    response = await client.get("/v1/incidentz", headers=alice)

    assert_problem(response, 404, "not-found")


async def test_a_wrong_method_is_a_405_problem(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.delete(f"/v1/incidents/{incident['id']}", headers=alice)

    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]
