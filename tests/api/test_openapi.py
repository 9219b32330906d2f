"""The OpenAPI document that client generators consume describes the routes that answer, and
tells the truth about what they answer: every problem a route can produce is documented as
`application/problem+json` with the `Problem` schema, with the headers that come with it.

The statuses a route must document are derived from the route itself (its scope, path ids,
If-Match, body, method), not from a copy of the document; and real answers of the running API
are checked against the document: status, content type, headers and body schema.
"""

from __future__ import annotations

import inspect
import ipaddress
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from services.incident_api.app import create_app
from services.incident_api.etag import parse_if_match
from services.incident_api.numbers import BIGINT_MAX
from services.incident_api.plain_text import NOT_BLANK_TEXT_PATTERN, PLAIN_TEXT_PATTERN
from services.incident_api.problems import ProblemError
from services.incident_api.settings import ApiSettings
from shared.database import Database
from shared.tokens import Scope, parse_duration
from tests.api.conftest import DECLARE, RESOLVE, Headers, post

PROBLEM_JSON = "application/problem+json"
PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Headers of an answer that the document must declare wherever the API sends them.
DOCUMENTED_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "Idempotent-Replayed",
    "WWW-Authenticate",
    "Cache-Control",
)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """The app as built (no lifespan: the document and the routes need no database)."""
    return create_app(ApiSettings())


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


@dataclass(frozen=True)
class Operation:
    """A documented /v1 operation: its method, its full path, and the route that answers it."""

    method: str
    path: str
    route: APIRoute


def api_operations(app: FastAPI) -> Iterator[Operation]:
    """Every documented /v1 operation of the app."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        # As documented: without a path convertor (`{integration_id:uuid}` is `{integration_id}`).
        path = re.sub(r":\w+\}", "}", str(context.path))
        if isinstance(route, APIRoute) and route.include_in_schema and path.startswith("/v1/"):
            for method in sorted(route.methods or ()):
                yield Operation(method, path, route)


def needed_scope(dependant: Dependant) -> Scope | None:
    """The scope the route's token check needs (`deps.require_scope`), if it has one."""
    for dependency in dependant.dependencies:
        if dependency.call is not None and inspect.isfunction(dependency.call):
            needed = inspect.getclosurevars(dependency.call).nonlocals.get("needed")
            if isinstance(needed, Scope):
                return needed
        found = needed_scope(dependency)
        if found is not None:
            return found
    return None


def all_params(dependant: Dependant) -> Iterator[str]:
    """The names (as sent) of every path, query and header parameter, dependencies' too."""
    for param in (*dependant.path_params, *dependant.query_params, *dependant.header_params):
        yield param.alias
    for dependency in dependant.dependencies:
        yield from all_params(dependency)


# Routes that add something under a name the client chooses, which may be taken (409).
ADDS_A_NAMED_RESOURCE = {("POST", "/v1/people"), ("POST", "/v1/services")}

# Commands without If-Match, which still answer 409 for their rules (no-change) and for a race
# lost every retry: a link changes two incidents at once, so no one version can be expected.
COMMANDS_WITHOUT_IF_MATCH = {("POST", "/v1/incidents/{incident_id}/links")}

# The alert intake takes an integration's key instead of a token: no scope, so no 403; it reads
# its body as bytes (stored before it is parsed), so no 415, and answers 400 and 422 itself.
INTEGRATION_KEYED = {
    ("POST", "/v1/integrations/alertmanager"),
    ("POST", "/v1/integrations/grafana"),
}


def statuses_the_route_can_answer(method: str, route: APIRoute) -> dict[int, bool]:
    """Whether the route can answer each problem status, from what the route is."""
    params = set(all_params(route.dependant))
    scope = needed_scope(route.dependant)
    keyed = (method, route.path) in INTEGRATION_KEYED
    assert scope is not None or keyed, f"{route.path} checks no token"
    has_ids = bool(route.dependant.path_params)
    if_match = "if-match" in params
    body = route.body_field is not None
    return {
        # Every /v1 route: a query parameter with a control character, the token (and too many
        # failed ones from the address), the database.
        400: True,
        401: True,
        429: True,
        503: True,
        # Not every token may call it.
        403: scope is not None and scope is not Scope.READ,
        # An id in the path that names nothing.
        404: has_ids,
        # A command: the incident's rules and its version; or adding what exists already.
        409: if_match or (method, route.path) in ADDS_A_NAMED_RESOURCE | COMMANDS_WITHOUT_IF_MATCH,
        412: if_match,
        # Any method but GET reads (and limits) the body; a route with one wants JSON.
        413: method != "GET",
        415: body,
        # FastAPI validates its parameters and body.
        422: bool(params) or body,
    }


def test_every_problem_a_route_can_answer_is_documented_as_problem_json(
    app: FastAPI, document: dict[str, Any]
) -> None:
    operations = 0
    for operation in api_operations(app):
        operations += 1
        method, route = operation.method, operation.route
        responses = document["paths"][operation.path][method.lower()]["responses"]
        for status, applies in statuses_the_route_can_answer(method, route).items():
            where = f"{method} {operation.path} {status}"
            if not applies:
                assert str(status) not in responses, f"{where} is documented but never answered"
                continue
            assert str(status) in responses, f"{where} is not documented"
            assert responses[str(status)]["content"] == PROBLEM_CONTENT, where
        for status, answer in responses.items():
            if status[0] in "45":
                assert answer["content"] == PROBLEM_CONTENT, f"{method} {route.path} {status}"
    assert operations >= 35


def test_the_headers_that_come_with_a_problem_are_documented(
    app: FastAPI, document: dict[str, Any]
) -> None:
    for operation in api_operations(app):
        responses = document["paths"][operation.path][operation.method.lower()]["responses"]
        assert "Retry-After" in responses["503"]["headers"], operation.path
        assert "WWW-Authenticate" in responses["401"]["headers"], operation.path
        assert "Retry-After" in responses["429"]["headers"], operation.path


def test_the_problem_schema_is_rfc_9457_with_extension_members(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "instance"}
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["properties"])
    assert problem["additionalProperties"] is True
    assert problem["properties"]["detail"] == {
        "type": "string",
        "title": "Detail",
        "description": problem["properties"]["detail"]["description"],
    }
    # FastAPI's own 422 schema would describe an answer the API never sends.
    assert "HTTPValidationError" not in schemas


def test_commands_document_their_etag_and_if_match(app: FastAPI, document: dict[str, Any]) -> None:
    commands = 0
    for operation in api_operations(app):
        documented = document["paths"][operation.path][operation.method.lower()]
        if "if-match" in set(all_params(operation.route.dependant)):
            commands += 1
            assert "ETag" in documented["responses"]["200"]["headers"], operation.path
    assert commands >= 18


def test_declaring_documents_location_etag_and_idempotency_key(document: dict[str, Any]) -> None:
    declare = document["paths"]["/v1/incidents"]["post"]

    assert set(declare["responses"]["201"]["headers"]) >= {"Location", "ETag"}
    assert "idempotency-key" in {p["name"] for p in declare["parameters"]}
    assert declare["operationId"] == "declare_incident_v1_incidents_post"


def test_markdown_answers_are_documented_as_alternatives(document: dict[str, Any]) -> None:
    for path in ("/v1/incidents/{incident_id}/timeline", "/v1/incidents/{incident_id}/postmortem"):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/markdown"}
        assert content["text/markdown"]["schema"] == {"type": "string"}


async def test_reading_an_incident_is_documented_with_its_query_parameters(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    read = response.json()["paths"]["/v1/incidents/{incident_id}"]["get"]
    assert {p["name"] for p in read["parameters"]} == {"incident_id", "as_of", "min_position"}
    assert "ETag" in read["responses"]["200"]["headers"]


def assert_documented(document: dict[str, Any], path: str, response: httpx.Response) -> None:
    """The answer is one the document describes for this operation: its status, its content
    type, the headers it came with, and a body that its schema accepts."""
    method = response.request.method.lower()
    where = f"{method.upper()} {path} {response.status_code}"
    answers = document["paths"][path][method]["responses"]
    assert str(response.status_code) in answers, f"{where} is not documented: {response.text}"
    answer = answers[str(response.status_code)]
    for header in DOCUMENTED_HEADERS:
        if header in response.headers:
            assert header in answer.get("headers", {}), f"{where}: {header} is not documented"
    if not response.content:
        return
    media_type = response.headers["content-type"].partition(";")[0].strip()
    assert media_type in answer["content"], f"{where}: {media_type} is not documented"
    schema = answer["content"][media_type]["schema"]
    body = response.text if media_type.startswith("text/") else response.json()
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(body)


async def test_real_answers_match_the_document(
    client: httpx.AsyncClient, alice: Headers, carol: Headers, root: Headers
) -> None:
    document = (await client.get("/openapi.json")).json()
    checked: dict[int, int] = {}

    def check(path: str, response: httpx.Response) -> None:
        assert_documented(document, path, response)
        checked[response.status_code] = checked.get(response.status_code, 0) + 1

    declared = await client.post(
        "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": "openapi-1"}
    )
    check("/v1/incidents", declared)
    incident = declared.json()
    replayed = await client.post(
        "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": "openapi-1"}
    )
    assert replayed.headers["Idempotent-Replayed"] == "true"
    check("/v1/incidents", replayed)

    one = "/v1/incidents/{incident_id}"
    at = f"/v1/incidents/{incident['id']}"
    check(one, await client.get(at, params={"min_position": incident["position"]}, headers=alice))
    check(one, await client.get(f"/v1/incidents/{uuid.uuid4()}", headers=alice))  # 404
    check(one, await client.get(at))  # 401
    check(one, await client.get("/v1/incidents/INC-1x", headers=alice))  # 422
    check(one, await client.get(at, params={"min_position": 2**62}, headers=alice))  # 400

    timeline = "/v1/incidents/{incident_id}/timeline"
    markdown = {**alice, "Accept": "text/markdown"}
    answer = await client.get(
        f"{at}/timeline", params={"min_position": incident["position"]}, headers=markdown
    )
    assert answer.headers["content-type"].startswith("text/markdown")
    check(timeline, answer)

    def command(action: str) -> str:
        return f"/v1/incidents/{{incident_id}}/{action}"

    stale = {"If-Match": '"0"'}
    check(command("severity"), await post(client, alice, incident, "severity", _P1, **stale))
    check(command("close"), await post(client, alice, incident, "close"))  # 409: not resolved
    check(command("resolve"), await post(client, carol, incident, "resolve", RESOLVE))  # 403
    check(command("resolve"), await post(client, alice, incident, "resolve", {"x": 1}))  # 422
    form = await client.post(
        f"{at}/resolve", content=b"resolution=restored", headers={**alice, **_FORM}
    )
    check(command("resolve"), form)  # 415
    check(command("resolve"), await post(client, alice, incident, "resolve", RESOLVE))  # 200

    postmortem = "/v1/incidents/{incident_id}/postmortem"
    check(postmortem, await client.get(f"{at}/postmortem", headers=alice))
    check(postmortem, await client.get(f"{at}/postmortem", headers=markdown))
    check(postmortem, await client.get(f"{at}/postmortem", params={"q": "\x01"}, headers=alice))
    too_large = {"summary": "x" * 70_000}
    check(postmortem, await post(client, alice, incident, "postmortem", too_large))  # 413

    subscription = "/v1/subscriptions/{subscription_id}"
    check(subscription, await client.get(f"/v1/subscriptions/{uuid.uuid4()}", headers=root))
    check(subscription, await client.get(f"/v1/subscriptions/{uuid.uuid4()}", headers=alice))

    # An address that keeps sending unknown tokens is refused for a while.
    unknown = {"Authorization": "Bearer irm_not-a-token"}
    for _ in range(25):
        refused = await client.get("/v1/incidents", headers=unknown)
        check("/v1/incidents", refused)
        if refused.status_code == 429:
            break

    assert set(checked) == {200, 201, 400, 401, 403, 404, 409, 412, 413, 415, 422, 429}


async def test_an_unavailable_database_answers_as_documented(alice: Headers) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    nowhere = f"postgresql://postgres@127.0.0.1:{closed_port}/irm"
    pool = await asyncpg.create_pool(nowhere, min_size=0, max_size=2)
    try:
        app = create_app(
            ApiSettings(database_url=nowhere),
            database=Database(pool=pool, url=nowhere, embedded=False),
        )
        document = app.openapi()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://irm.test") as api:
                declared = await api.post("/v1/incidents", json=DECLARE, headers=alice)
                listed = await api.get("/v1/incidents", headers=alice)
                ready = await api.get("/readyz")
    finally:
        await pool.close()

    for path, response in (("/v1/incidents", declared), ("/v1/incidents", listed)):
        assert response.status_code == 503
        assert_documented(document, path, response)
    assert ready.status_code == 503
    assert_documented(document, "/readyz", ready)


def test_problem_descriptions_name_problem_types(document: dict[str, Any]) -> None:
    described = re.compile(r"Problem types: .*`[a-z-]+`")
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if status[0] in "45":
                    assert described.search(answer["description"]), answer


_P1 = {"severity": "P1", "reason": "more customers"}
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


def test_parameters_are_never_null_and_free_text_in_a_query_is_plain(
    document: dict[str, Any],
) -> None:
    free_text = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                where = f"{method.upper()} {path} {parameter['name']}"
                assert {"type": "null"} not in list(_walk(parameter["schema"])), where
                schema = parameter["schema"]
                if parameter["in"] == "query" and schema.get("type") == "string":
                    assert {"enum", "format", "pattern"} & schema.keys(), where
                    free_text += schema.get("pattern") == PLAIN_TEXT_PATTERN
    assert free_text >= 5


def test_bounds_are_exact_integers(document: dict[str, Any]) -> None:
    assert not [value for value in _walk(document) if isinstance(value, float)]
    replay = document["components"]["schemas"]["ReplayRequest"]["properties"]["from_position"]
    assert replay["maximum"] == BIGINT_MAX


@pytest.mark.parametrize(
    ("value", "taken"),
    [
        ('"3"', True),
        ('W/"3"', True),
        ("3", True),
        ("*", True),
        (f'"{BIGINT_MAX}"', True),
        (f'"{BIGINT_MAX + 1}"', False),
        ("null", False),
        ("", False),
        ('"3", "4"', False),
        ('"-1"', False),
        ('"²"', False),
    ],
)
def test_the_if_match_pattern_is_what_the_api_takes(
    document: dict[str, Any], value: str, taken: bool
) -> None:
    parameters = document["paths"]["/v1/incidents/{incident_id}/close"]["post"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "if-match")["schema"]["pattern"]
    try:
        parse_if_match(value)
    except ProblemError:
        parsed = False
    else:
        parsed = True

    assert parsed is taken
    assert bool(re.search(pattern, value)) is taken


@pytest.mark.parametrize("value", ["90d", "3660d", "522w", "87840h", "999999m", "45s"])
def test_the_expires_in_pattern_takes_what_the_api_takes(
    document: dict[str, Any], value: str
) -> None:
    token = document["components"]["schemas"]["TokenCreate"]
    expires_in = token["properties"]["expires_in"]["anyOf"][0]
    parse_duration(value)
    assert re.search(expires_in["pattern"], value)
    for refused in ("", "0d", "3661d", "523w", "87841h", "1000000s", "1y", "d"):
        assert not re.search(expires_in["pattern"], refused), refused
        with pytest.raises(ValueError, match="duration"):
            parse_duration(refused)


def test_text_fields_say_they_refuse_control_characters_and_blanks(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    title = schemas["IncidentCreate"]["properties"]["title"]
    description = schemas["IncidentCreate"]["properties"]["description"]["anyOf"][0]

    assert title["pattern"] == NOT_BLANK_TEXT_PATTERN
    assert description["pattern"] == PLAIN_TEXT_PATTERN
    for text, plain, not_blank in [
        ("Checkout down", True, True),
        ("line\nbreak\ttab", True, True),
        (" \u3000 ", True, False),
        ("", True, False),
        ("bell\x07", False, False),
        ("\x1f", False, False),
    ]:
        assert bool(re.search(PLAIN_TEXT_PATTERN, text)) is plain, repr(text)
        assert bool(re.search(NOT_BLANK_TEXT_PATTERN, text)) is not_blank, repr(text)


async def test_every_documented_sort_is_taken_and_no_other(
    client: httpx.AsyncClient, carol: Headers
) -> None:
    document = (await client.get("/openapi.json")).json()
    parameters = document["paths"]["/v1/incidents"]["get"]["parameters"]
    sorts = next(p for p in parameters if p["name"] == "sort")["schema"]["enum"]

    for sort in sorts:
        response = await client.get("/v1/incidents", params={"sort": sort}, headers=carol)
        assert response.status_code == 200, (sort, response.text)
    refused = await client.get("/v1/incidents", params={"sort": "title"}, headers=carol)
    assert refused.status_code == 422
    assert len(sorts) == 8


def test_the_webhook_url_example_is_a_documentation_address(document: dict[str, Any]) -> None:
    url = document["components"]["schemas"]["SubscriptionCreate"]["properties"]["url"]
    host = httpx.URL(url["examples"][0]).host

    # .ci/fuzz allows this block (IRM_WEBHOOK_ALLOWED_TARGETS) so that its fuzzer can subscribe.
    assert ipaddress.ip_address(host) in ipaddress.ip_network("203.0.113.0/24")
