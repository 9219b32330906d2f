"""GET /v1/incidents: every sort order, and cursor pagination over a few hundred incidents."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import Headers, assert_problem

BASE = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def declare(number: int, severity: str | None) -> Incident:
    """An incident of alice's, its Declared event pending."""
    return Incident.declare(
        actor=Actor("alice"),
        number=number,
        title=f"incident {number}",
        criteria=["production_workloads_affected"],
        severity=severity,
    )


SORT_KEYS = ("declared_at", "updated_at", "number", "severity")
MANY = 300


async def many_incidents(store: EventStore) -> tuple[int, dict[str, dict[str, Any]]]:
    """MANY incidents with tied declaration times and severities, written in one append;
    returns its position and each incident's sort values by id."""
    values: dict[str, dict[str, Any]] = {}
    severities = ["P1", "P2", "P3", "P4", None]
    events = []
    for n in range(1, MANY + 1):
        severity = severities[n % 5]
        incident = declare(n, severity)
        declared_at = BASE + timedelta(seconds=n // 3)  # three at a time
        events += [dataclasses.replace(e, timestamp=declared_at) for e in incident.collect_events()]
        updated_at = declared_at
        if n % 4 == 0:
            incident.post_update(Actor("alice"), audience="internal", body="later")
            updated_at = BASE + timedelta(seconds=(MANY - n) // 2)
            events += [
                dataclasses.replace(e, timestamp=updated_at) for e in incident.collect_events()
            ]
        values[str(incident.id)] = {
            "declared_at": declared_at,
            "updated_at": updated_at,
            "number": n,
            "severity": severity or "P9",  # unclassified sorts after P4
        }
    return await store.append(events), values


@pytest_asyncio.fixture(loop_scope="session")
async def paged(
    client: httpx.AsyncClient, store: EventStore
) -> tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]]:
    """The API over MANY incidents, the position including them, and their sort values."""
    position, values = await many_incidents(store)
    return client, position, values


async def all_pages(
    client: httpx.AsyncClient, headers: Headers, *, limit: int, **query: Any
) -> tuple[list[str], list[str | None]]:
    """Follow next_cursor to the end; returns every id in order and every cursor seen."""
    ids: list[str] = []
    cursors: list[str | None] = []
    cursor = None
    while True:
        params = {"limit": limit, **query}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get("/v1/incidents", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        cursors.append(cursor)
        if cursor is None:
            return ids, cursors
        assert len(page["items"]) == limit, "a page before the last one is full"


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("key", SORT_KEYS)
async def test_pages_list_every_incident_once_in_a_stable_order(
    paged: tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]],
    reader: Headers,
    key: str,
    descending: bool,
) -> None:
    client, position, values = paged
    sort = f"-{key}" if descending else key
    await client.get("/v1/incidents", params={"min_position": position}, headers=reader)

    ids, cursors = await all_pages(client, reader, limit=37, sort=sort)

    # The order is the sort key, then the id, each in the chosen direction.
    expected = sorted(values, key=lambda i: (values[i][key], uuid.UUID(i)), reverse=descending)
    assert ids == expected
    assert len(cursors) == -(-MANY // 37)
    assert cursors[-1] is None
    again, _ = await all_pages(client, reader, limit=37, sort=sort)
    assert again == ids


async def test_the_default_order_is_newest_declared_first(
    paged: tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]], reader: Headers
) -> None:
    client, position, values = paged
    response = await client.get(
        "/v1/incidents", params={"min_position": position, "limit": 5}, headers=reader
    )

    newest = sorted(values, key=lambda i: (values[i]["declared_at"], uuid.UUID(i)), reverse=True)
    assert [item["id"] for item in response.json()["items"]] == newest[:5]
    assert values[newest[0]]["number"] == MANY


async def test_pages_of_a_filtered_list_hold_only_matches(
    paged: tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]], reader: Headers
) -> None:
    client, position, values = paged
    await client.get("/v1/incidents", params={"min_position": position}, headers=reader)

    ids, _ = await all_pages(client, reader, limit=9, severity="P3", sort="number")

    assert [values[i]["number"] for i in ids] == list(range(2, MANY + 1, 5))


async def test_a_last_page_that_is_exactly_full_has_no_next_cursor(
    paged: tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]], reader: Headers
) -> None:
    client, position, _ = paged
    await client.get("/v1/incidents", params={"min_position": position}, headers=reader)

    ids, cursors = await all_pages(client, reader, limit=100, sort="number")

    assert len(ids) == MANY
    assert len(cursors) == 3
    assert cursors[-1] is None


def cursor_of(payload: object) -> str:
    """A cursor as the API encodes one."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        "é",
        cursor_of({"s": "number"}),
        cursor_of({"s": "number", "id": "not-a-uuid", "v": 3}),
        cursor_of({"s": "number", "id": "00000000-0000-0000-0000-000000000001", "v": "three"}),
        cursor_of({"s": "number", "id": "00000000-0000-0000-0000-000000000001", "v": None}),
        cursor_of({"s": "number", "id": "00000000-0000-0000-0000-000000000001", "v": [1]}),
        cursor_of({"s": "number", "id": "00000000-0000-0000-0000-000000000001", "v": 2**63}),
        cursor_of({"s": "number", "id": "00000000-0000-0000-0000-000000000001", "v": True}),
        cursor_of(["number", 3]),
    ],
    ids=[
        "garbage",
        "not base64",
        "not ascii",
        "incomplete",
        "bad id",
        "text for a number",
        "null value",
        "list value",
        "number too big",
        "boolean",
        "not an object",
    ],
)
async def test_a_bad_cursor_is_refused(
    paged: tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]], reader: Headers, cursor: str
) -> None:
    client, _, _ = paged
    response = await client.get(
        "/v1/incidents", params={"sort": "number", "cursor": cursor}, headers=reader
    )

    assert_problem(response, 400, "invalid-cursor", field="cursor")


@pytest.mark.parametrize(
    ("issued_for", "used_with"),
    [
        ("number", "-number"),
        ("declared_at", "updated_at"),
        ("-declared_at", "severity"),
        ("severity", "declared_at"),
    ],
)
async def test_a_cursor_from_another_sort_is_refused(
    paged: tuple[httpx.AsyncClient, int, dict[str, dict[str, Any]]],
    reader: Headers,
    issued_for: str,
    used_with: str,
) -> None:
    client, position, _ = paged
    first = await client.get(
        "/v1/incidents",
        params={"sort": issued_for, "limit": 10, "min_position": position},
        headers=reader,
    )
    cursor = first.json()["next_cursor"]

    response = await client.get(
        "/v1/incidents", params={"sort": used_with, "cursor": cursor}, headers=reader
    )

    assert_problem(response, 400, "invalid-cursor", field="cursor")
