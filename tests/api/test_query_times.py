"""A time in a query parameter is an RFC 3339 date-time with an offset, as the document says
(`format: date-time`): a number (read as Unix time), a bare date or a time without a zone is a
422 validation-error naming the parameter, never a guess."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Headers, assert_problem

NOT_RFC_3339 = [
    "0.5",
    "1700000000",
    "2026-11-26",
    "2026-11-26T03:12:00",
    "2026-11-26 03:12:00Z",
    "2026-11-26T03:12Z",
    "now",
]


def _time_parameters(incident: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("/v1/incidents", "declared_since"),
        ("/v1/incidents", "declared_until"),
        (f"/v1/incidents/{incident['id']}", "as_of"),
        ("/v1/metrics/incidents", "since"),
        ("/v1/metrics/incidents", "until"),
    ]


@pytest.mark.parametrize("value", NOT_RFC_3339)
async def test_a_query_time_that_is_not_rfc_3339_is_refused_naming_the_parameter(
    client: httpx.AsyncClient, carol: Headers, incident: dict[str, Any], value: str
) -> None:
    for path, name in _time_parameters(incident):
        response = await client.get(path, params={name: value}, headers=carol)

        problem = assert_problem(response, 422, "validation-error", field=name)
        assert problem["errors"][0]["code"] == "rfc3339_date_time", (name, value)
        assert "RFC 3339" in problem["detail"]


@pytest.mark.parametrize(
    "value", ["2020-11-26T03:12:00Z", "2020-11-26t03:12:00.123456z", "2020-11-26T04:12:00+01:00"]
)
async def test_an_rfc_3339_query_time_with_an_offset_is_taken(
    client: httpx.AsyncClient, carol: Headers, incident: dict[str, Any], value: str
) -> None:
    for path, name in _time_parameters(incident):
        if name == "as_of":
            continue  # the incident did not exist yet then: 404, tested elsewhere
        response = await client.get(path, params={name: value}, headers=carol)

        assert response.status_code == 200, (name, value, response.text)


async def test_the_document_says_rfc_3339(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    for path, name in [
        ("/v1/incidents", "declared_since"),
        ("/v1/incidents", "declared_until"),
        ("/v1/incidents/{incident_id}", "as_of"),
        ("/v1/metrics/incidents", "since"),
        ("/v1/metrics/incidents", "until"),
    ]:
        parameters = document["paths"][path]["get"]["parameters"]
        schema = next(p for p in parameters if p["name"] == name)["schema"]
        assert (schema["type"], schema["format"]) == ("string", "date-time"), name
