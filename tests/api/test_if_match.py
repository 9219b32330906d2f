"""If-Match on commands: act only on the version the client last saw."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.conftest import Headers, assert_problem, read, stored_events


async def change_severity(
    client: httpx.AsyncClient,
    headers: Headers,
    incident: dict[str, Any],
    severity: str,
    if_match: str | bytes | None,
) -> httpx.Response:
    """POST …/severity, with If-Match when given."""
    sent = [(name.encode(), value.encode()) for name, value in headers.items()]
    if if_match is not None:
        # Bytes go out as they are, so a test can send what no str header could.
        sent.append((b"If-Match", if_match if isinstance(if_match, bytes) else if_match.encode()))
    return await client.post(
        f"/v1/incidents/{incident['id']}/severity",
        json={"severity": severity, "reason": "reassessed"},
        headers=sent,
    )


@pytest.mark.parametrize("if_match", ['"1"', "1", 'W/"1"', "*"])
async def test_the_current_version_or_any_is_200(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], if_match: str
) -> None:
    response = await change_severity(client, alice, incident, "P1", if_match)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'


async def test_the_etag_of_one_answer_is_the_if_match_of_the_next(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    etag = (await read(client, alice, incident)).headers["ETag"]
    for severity in ("P1", "P3", "P2"):
        response = await change_severity(client, alice, incident, severity, etag)
        assert response.status_code == 200, response.text
        etag = response.headers["ETag"]

    assert etag == '"4"'


async def test_a_stale_version_is_412_and_nothing_is_written(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    first = await change_severity(client, alice, incident, "P1", '"1"')
    assert first.status_code == 200

    stale = await change_severity(client, alice, incident, "P3", '"1"')

    problem = assert_problem(stale, 412, "version-mismatch")
    assert problem["expected_version"] == 1
    assert problem["current_version"] == 2
    assert await stored_events(pool) == 2
    state = (await read(client, alice, first.json())).json()
    assert state["severity"] == "P1"
    assert state["version"] == 2


async def test_a_version_from_the_future_is_412(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await change_severity(client, alice, incident, "P1", '"7"')

    assert_problem(response, 412, "version-mismatch")
    assert await stored_events(pool) == 1


@pytest.mark.parametrize(
    "if_match", ["yesterday", '"v1"', '"-1"', '"1", "2"', "", b'"\xb2"'], ids=repr
)
async def test_a_garbage_if_match_is_400(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    incident: dict[str, Any],
    if_match: str | bytes,
) -> None:
    response = await change_severity(client, alice, incident, "P1", if_match)

    assert_problem(response, 400, "invalid-if-match")
    assert await stored_events(pool) == 1


async def test_review_commands_parse_if_match_the_same_way(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    response = await client.post(
        f"/v1/incidents/{incident['id']}/postmortem/root-cause",
        json={"text": "A config push removed the connection limit."},
        headers=[*((k.encode(), v.encode()) for k, v in alice.items()), (b"If-Match", b'"\xb2"')],
    )

    assert_problem(response, 400, "invalid-if-match")
    assert await stored_events(pool) == 1
