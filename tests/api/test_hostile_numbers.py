"""Hostile numbers and encodings: a position or version beyond 64 bits, a `min_position` beyond
the end of the log, a body in UTF-16. Each is a 4xx problem, never a 500, and the client's
keep-alive connection survives it (a 500 makes the server close the connection).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
import uvicorn

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from tests.api.conftest import DECLARE, ClientFactory, Headers, assert_problem, stored_events
from tests.api.subscription_helpers import ALLOWED, subscribe

BEYOND_64_BITS = 162382586617779748864
MAX_POSITION = 2**63 - 1
QUERIES = [
    "/v1/incidents",
    "/v1/incidents/{id}",
    "/v1/incidents/{id}/timeline",
    "/v1/follow-ups",
    "/v1/metrics/incidents",
]


@pytest.mark.parametrize("path", QUERIES)
async def test_a_min_position_beyond_64_bits_is_422(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], path: str
) -> None:
    response = await client.get(
        path.format(id=incident["id"]), params={"min_position": BEYOND_64_BITS}, headers=alice
    )

    assert_problem(response, 422, "validation-error", field="min_position")


@pytest.mark.parametrize("beyond", [1, 1_000, MAX_POSITION], ids=["next", "far", "largest"])
@pytest.mark.parametrize("path", QUERIES)
async def test_a_min_position_beyond_the_log_is_400_at_once(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], path: str, beyond: int
) -> None:
    min_position = min(incident["position"] + beyond, MAX_POSITION)
    started = time.monotonic()

    response = await client.get(
        path.format(id=incident["id"]), params={"min_position": min_position}, headers=alice
    )

    problem = assert_problem(response, 400, "position-beyond-log", field="min_position")
    assert problem["min_position"] == min_position
    assert problem["log_position"] == incident["position"]
    assert time.monotonic() - started < 2  # the read wait is 5 s


async def test_the_last_position_of_the_log_is_waited_for(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.get(
        "/v1/incidents", params={"min_position": incident["position"]}, headers=alice
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "if_match",
    ['"99999999999999999999"', "99999999999999999999", f'W/"{2**63}"'],
    ids=["quoted", "bare", "weak"],
)
async def test_an_if_match_beyond_64_bits_is_400(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    if_match: str,
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/severity",
        json={"severity": "P1", "reason": "worse"},
        headers={**alice, "If-Match": if_match},
    )

    assert_problem(response, 400, "invalid-if-match")
    assert await stored_events(pool) == 1


async def test_the_largest_if_match_is_a_version_mismatch(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/severity",
        json={"severity": "P1", "reason": "worse"},
        headers={**alice, "If-Match": f'"{2**63 - 1}"'},
    )

    problem = assert_problem(response, 412, "version-mismatch")
    assert problem["expected_version"] == 2**63 - 1


@pytest.mark.parametrize(
    ("request_for", "field"),
    [
        (lambda s: ("POST", f"{s}/replay", {"from_position": BEYOND_64_BITS}), "from_position"),
        (lambda s: ("POST", f"{s}/replay", {"from_position": 2**63}), "from_position"),
        (lambda s: ("GET", f"{s}/deliveries?before={BEYOND_64_BITS}", None), "before"),
        (lambda s: ("GET", f"{s}/deliveries?before={2**63}", None), "before"),
    ],
    ids=["replay from_position", "replay from 2^63", "deliveries before", "deliveries 2^63"],
)
async def test_a_subscription_position_beyond_64_bits_is_422(
    open_client: ClientFactory, root: Headers, request_for: Any, field: str
) -> None:
    async with open_client(webhook_allowed_targets=ALLOWED) as api:
        subscription = await subscribe(api, root)
        method, path, body = request_for(f"/v1/subscriptions/{subscription['id']}")
        response = await api.request(method, path, json=body, headers=root)

    assert_problem(response, 422, "validation-error", field=field)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
async def test_a_body_not_in_utf8_is_400(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    encoding: str,
) -> None:
    headers = {**alice, "Content-Type": "application/json"}

    declared = await client.post(
        "/v1/incidents", content=json.dumps(DECLARE).encode(encoding), headers=headers
    )
    command = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        content=json.dumps({"audience": "internal", "body": "hi"}).encode(encoding),
        headers=headers,
    )

    for response in (declared, command):
        problem = assert_problem(response, 400, "invalid-json")
        assert "UTF-8" in problem["detail"]
    assert await stored_events(pool) == 1


async def test_a_subscription_body_not_in_utf8_is_400(
    open_client: ClientFactory, root: Headers
) -> None:
    async with open_client(webhook_allowed_targets=ALLOWED) as api:
        response = await api.post(
            "/v1/subscriptions",
            content=json.dumps({"url": "http://127.0.0.1:9/hooks"}).encode("utf-16"),
            headers={**root, "Content-Type": "application/json"},
        )
        listed = await api.get("/v1/subscriptions", headers=root)

    assert_problem(response, 400, "invalid-json")
    assert listed.json()["items"] == []


async def test_a_utf8_body_with_a_byte_order_mark_is_still_accepted(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    response = await client.post(
        "/v1/incidents",
        content=b"\xef\xbb\xbf" + json.dumps(DECLARE).encode(),
        headers={**alice, "Content-Type": "application/json"},
    )

    assert response.status_code == 201, response.text


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest_asyncio.fixture(loop_scope="session")
async def served(api_settings: ApiSettings) -> AsyncIterator[tuple[str, int]]:
    """The API behind a real HTTP server (uvicorn) on 127.0.0.1: (host, port)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(api_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        await serving


async def test_the_keep_alive_connection_survives_hostile_requests(
    served: tuple[str, int], alice: Headers, client: httpx.AsyncClient
) -> None:
    incident = (await client.post("/v1/incidents", json=DECLARE, headers=alice)).json()
    auth = f"Authorization: {alice['Authorization']}"
    command = f"POST /v1/incidents/{incident['id']}/severity HTTP/1.1"
    severity = json.dumps({"severity": "P1", "reason": "worse"}).encode()
    hostile: list[tuple[bytes, int]] = [
        (_request(f"GET /v1/incidents?min_position={BEYOND_64_BITS} HTTP/1.1", auth), 422),
        (_request(f"GET /v1/incidents?min_position={MAX_POSITION} HTTP/1.1", auth), 400),
        (_request("GET /v1/incidents?q=a%00b HTTP/1.1", auth), 400),
        (_request(command, auth, 'If-Match: "99999999999999999999"', body=severity), 400),
        (_request(command, auth, body=json.dumps(DECLARE).encode("utf-16")), 400),
        (_request("POST /v1/incidents HTTP/1.1", auth, body=_with_nul(DECLARE)), 422),
        (_request(command, auth, body=severity), 200),
    ]
    reader, writer = await asyncio.open_connection(*served)
    try:
        statuses = []
        for request, _ in hostile:
            writer.write(request)
            await writer.drain()
            statuses.append(await _status_of_response(reader))
    finally:
        writer.close()

    assert statuses == [expected for _, expected in hostile]


def _with_nul(body: dict[str, Any]) -> bytes:
    return json.dumps({**body, "title": "Checkout\u0000returns 500s"}).encode()


def _request(line: str, *headers: str, body: bytes | None = None) -> bytes:
    lines = [line, "Host: irm.test", *headers]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _status_of_response(reader: asyncio.StreamReader) -> int:
    """Read one whole response off the connection (it must stay open) and return its status."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(h.lower().split(": ", 1) for h in header_lines if h)
    assert headers.get("connection") != "close", head
    await reader.readexactly(int(headers["content-length"]))
    return int(status_line.split()[1])
