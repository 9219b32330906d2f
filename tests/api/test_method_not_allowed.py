"""A method the path does not take is a 405 problem whose Allow names every method the path
does take (RFC 9110), as the OpenAPI document lists them, not only the first route's."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.api.conftest import Headers, assert_problem


async def test_allow_names_every_method_of_a_path_served_by_several_routes(
    client: httpx.AsyncClient, root: Headers
) -> None:
    subscriptions = await client.request("OPTIONS", "/v1/subscriptions", headers=root)
    tokens = await client.put("/v1/tokens", headers=root)
    one = await client.post(f"/v1/subscriptions/{uuid.uuid4()}", headers=root)

    assert_problem(subscriptions, 405, "method-not-allowed")
    assert subscriptions.headers["Allow"] == "GET, POST"
    assert_problem(tokens, 405, "method-not-allowed")
    assert tokens.headers["Allow"] == "GET, POST"
    assert_problem(one, 405, "method-not-allowed")
    assert one.headers["Allow"] == "DELETE, GET, PATCH"


async def test_allow_matches_the_documented_methods_of_every_path(
    client: httpx.AsyncClient, root: Headers
) -> None:
    document = (await client.get("/openapi.json")).json()
    checked = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = await client.request("TRACE", url, headers=root)

        assert_problem(response, 405, "method-not-allowed")
        allowed = set(response.headers["Allow"].split(", "))
        assert allowed == {method.upper() for method in operations}, path
        checked += 1
    assert checked >= 30
