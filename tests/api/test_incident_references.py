"""People say "INC-12", not a UUID: every `/v1/incidents/{incident_id}…` path takes either, the
reference in any case, and resolves it exactly. `?q=INC-12` finds the incident too."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from services.incident_api.app import create_app
from services.incident_api.references import INCIDENT_KEY_PATTERN
from services.incident_api.settings import ApiSettings
from tests.api.conftest import RESOLVE, ClientFactory, Headers, assert_problem, declare

P1 = {"severity": "P1", "reason": "every region"}


async def test_a_read_by_reference_in_any_case_answers_that_incident(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    reference = incident["reference"]
    for key in (reference, reference.lower(), "Inc-" + reference.removeprefix("INC-")):
        response = await client.get(f"/v1/incidents/{key}", headers=alice)

        assert response.status_code == 200, response.text
        assert response.json()["id"] == incident["id"]


@pytest.mark.parametrize("tail", ["/timeline", "/events", "/postmortem"])
async def test_every_read_of_one_incident_takes_its_reference(
    client: httpx.AsyncClient, alice: Headers, tail: str
) -> None:
    incident = await declare(client, alice)
    by_id = await client.get(f"/v1/incidents/{incident['id']}{tail}", headers=alice)

    by_reference = await client.get(f"/v1/incidents/{incident['reference']}{tail}", headers=alice)

    assert by_reference.status_code == by_id.status_code == 200, by_reference.text
    assert by_reference.json() == by_id.json()


async def test_a_command_by_reference_changes_exactly_that_incident(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    other = await declare(client, alice, title="Unrelated")
    incident = await declare(client, alice)

    changed = await client.post(
        f"/v1/incidents/{incident['reference'].lower()}/severity", json=P1, headers=alice
    )
    resolved = await client.post(
        f"/v1/incidents/{incident['reference']}/resolve", json=RESOLVE, headers=alice
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["id"] == incident["id"]
    assert resolved.json()["status"] == "resolved"
    untouched = await client.get(f"/v1/incidents/{other['id']}", headers=alice)
    assert untouched.json()["version"] == 1


async def test_a_reference_just_declared_works_before_the_projector_has_it(
    open_client: ClientFactory, alice: Headers
) -> None:
    # No projector runs here: the read model never learns of it; the process remembers.
    async with open_client() as api:
        incident = await declare(api, alice)
        changed = await api.post(
            f"/v1/incidents/{incident['reference']}/severity", json=P1, headers=alice
        )
        events = await api.get(f"/v1/incidents/{incident['reference']}/events", headers=alice)

    assert changed.status_code == 200, changed.text
    assert changed.json()["id"] == incident["id"]
    assert [e["type"] for e in events.json()["items"]] == ["Declared", "SeverityChanged"]


async def test_another_replica_resolves_it_once_its_read_model_has_it(
    client: httpx.AsyncClient, open_client: ClientFactory, alice: Headers
) -> None:
    incident = await declare(client, alice)
    async with open_client() as other:
        response = await other.get(
            f"/v1/incidents/{incident['reference']}",
            params={"min_position": incident["position"]},
            headers=alice,
        )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == incident["id"]


@pytest.mark.parametrize(
    ("method", "tail"), [("GET", ""), ("GET", "/timeline"), ("POST", "/severity")]
)
async def test_a_reference_nobody_declared_is_incident_not_found(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], method: str, tail: str
) -> None:
    number = int(incident["reference"].removeprefix("INC-")) + 1000
    body = P1 if method == "POST" else None

    response = await client.request(
        method, f"/v1/incidents/INC-{number}{tail}", json=body, headers=alice
    )

    problem = assert_problem(response, 404, "incident-not-found")
    assert f"INC-{number}" in problem["detail"]


@pytest.mark.parametrize(
    "key", ["INC-", "INC-12a", "12", "INC--3", "checkout", "INC-1234567890123456789"]
)
async def test_something_that_is_neither_an_id_nor_a_reference_is_a_validation_error(
    client: httpx.AsyncClient, alice: Headers, key: str
) -> None:
    response = await client.get(f"/v1/incidents/{key}", headers=alice)

    assert_problem(response, 422, "validation-error", field="incident_id")


async def test_q_finds_an_incident_by_its_reference(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice, title="Search is slow")
    await declare(client, alice, title="Another one")

    for q in (incident["reference"], incident["reference"].lower()):
        listed = await client.get("/v1/incidents", params={"q": q}, headers=alice)

        assert [i["id"] for i in listed.json()["items"]] == [incident["id"]]


def test_the_document_says_the_path_takes_an_id_or_a_reference() -> None:
    document = create_app(ApiSettings()).openapi()
    paths = [p for p in document["paths"] if p.startswith("/v1/incidents/{incident_id}")]

    assert len(paths) > 10
    for path in paths:
        for operation in document["paths"][path].values():
            (param,) = [p for p in operation["parameters"] if p["name"] == "incident_id"]
            assert param["schema"]["type"] == "string"
            assert param["schema"]["pattern"] == INCIDENT_KEY_PATTERN
            assert "INC-" in param["description"]
    accepts = re.compile(INCIDENT_KEY_PATTERN)
    assert accepts.match(str(uuid.uuid4()))
    assert accepts.match("inc-12")
    assert not accepts.match("INC-12 ")
