"""The OpenAPI document that client generators consume describes the routes that answer."""

from __future__ import annotations

import httpx


async def test_reading_an_incident_is_documented_with_its_query_parameters(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    read = response.json()["paths"]["/v1/incidents/{incident_id}"]["get"]
    assert {p["name"] for p in read["parameters"]} == {"incident_id", "as_of", "min_position"}
