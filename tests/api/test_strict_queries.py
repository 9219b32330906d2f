"""A query parameter the endpoint does not take is refused, not ignored: `?severty=P1` would
otherwise answer with every incident as if no filter had been asked for. And `sort=severity`
orders by rank, P1 first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Headers, assert_problem, declare, read

INCIDENT_QUERY = {"as_of", "min_position"}


async def test_a_misspelt_filter_is_refused_naming_it_and_what_the_list_takes(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    await declare(client, alice, severity="P3")

    response = await client.get("/v1/incidents", params={"severty": "P1"}, headers=alice)

    problem = assert_problem(response, 400, "unknown-query-parameter", field="severty")
    assert problem["unknown"] == ["severty"]
    assert {"severity", "status", "owner", "q", "sort", "cursor"} <= set(problem["allowed"])
    assert "severty" in problem["detail"]
    assert "did you mean severity?" in problem["detail"]


async def test_every_unknown_parameter_is_named(client: httpx.AsyncClient, alice: Headers) -> None:
    response = await client.get(
        "/v1/incidents", params={"status": "open", "colour": "red", "Status": "x"}, headers=alice
    )

    problem = assert_problem(response, 400, "unknown-query-parameter")
    assert problem["unknown"] == ["Status", "colour"]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v1/incidents/{id}", INCIDENT_QUERY),
        ("/v1/incidents/{id}/timeline", {"min_position"}),
        ("/v1/incidents/{id}/events", set()),
        ("/v1/incidents/{id}/postmortem", set()),
        ("/v1/follow-ups", {"status", "owner", "overdue", "limit", "min_position"}),
    ],
)
async def test_every_read_refuses_what_it_does_not_take(
    client: httpx.AsyncClient,
    alice: Headers,
    incident: dict[str, Any],
    path: str,
    allowed: set[str],
) -> None:
    url = path.format(id=incident["id"])

    response = await client.get(url, params={"verbose": "1"}, headers=alice)

    problem = assert_problem(response, 400, "unknown-query-parameter", field="verbose")
    assert set(problem["allowed"]) == allowed


async def test_the_parameters_an_endpoint_takes_still_answer(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    assert (await read(client, alice, incident)).status_code == 200
    listed = await client.get(
        "/v1/incidents",
        params={"status": "open", "min_position": incident["position"], "limit": 5},
        headers=alice,
    )
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [incident["id"]]


async def test_sort_by_severity_ranks_p1_first_and_pages_in_that_order(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    for severity in ("P3", "P1", "P4", "P2", "P1"):
        last = await declare(client, alice, severity=severity)

    async def severities(sort: str) -> list[str]:
        found: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 2, "min_position": last["position"]}
            if cursor is not None:
                params["cursor"] = cursor
            page = await client.get("/v1/incidents", params=params, headers=alice)
            assert page.status_code == 200, page.text
            found += [item["severity"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return found

    assert await severities("severity") == ["P1", "P1", "P2", "P3", "P4"]
    assert await severities("-severity") == ["P4", "P3", "P2", "P1", "P1"]
