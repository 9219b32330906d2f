"""PATCH /v1/incidents/{id} corrects the details, DELETE …/roles/{role} stands a lead down,
and a lead hands on their own role: through the API, with the events they record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.conftest import Headers, declare, events_of, post, read
from tests.problems import assert_problem


async def patch(
    client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any], body: object
) -> httpx.Response:
    """PATCH the incident, whatever it answers."""
    return await client.patch(f"/v1/incidents/{incident['id']}", json=body, headers=headers)


async def assign(
    client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any], role: str, to: str
) -> dict[str, Any]:
    """Assign a role and return the answer, which must be a 200."""
    response = await post(client, headers, incident, "roles", {"role": role, "assignee": to})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_commander_corrects_the_details_and_the_log_keeps_both_versions(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice)

    response = await patch(
        client, alice, incident, {"title": "EU card payments fail", "services": ["payments"]}
    )

    assert response.status_code == 200, response.text
    state = response.json()
    assert (state["title"], state["services"]) == ("EU card payments fail", ["payments"])
    assert state["description"] == incident["description"]  # left out: kept
    assert response.headers["ETag"] == '"2"'
    edited = (await events_of(client, alice, incident["id"]))[-1]
    assert edited["type"] == "DetailsEdited"
    assert edited["actor"] == "alice"
    assert edited["data"]["before"] == {
        "title": incident["title"],
        "services": incident["services"],
    }
    assert edited["data"]["after"] == {"title": "EU card payments fail", "services": ["payments"]}
    view = (await read(client, alice, state)).json()
    assert (view["title"], view["services"]) == ("EU card payments fail", ["payments"])


async def test_metrics_by_service_follow_the_corrected_services(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    since = (datetime.now(tz=UTC) - timedelta(minutes=1)).isoformat()
    incident = await declare(client, alice, services=["search"])
    state = (await patch(client, alice, incident, {"services": ["billing"]})).json()

    response = await client.get(
        "/v1/metrics/incidents",
        params={"since": since, "min_position": state["position"]},
        headers=alice,
    )

    assert response.status_code == 200, response.text
    assert response.json()["by_service"] == {"billing": 1}


async def test_a_null_description_clears_it_and_a_null_title_is_refused(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice)

    cleared = await patch(client, alice, incident, {"description": None})
    refused = await patch(client, alice, incident, {"title": None})

    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["description"] is None
    assert_problem(refused, 422, "validation-error", field="title")


async def test_edits_are_refused_to_others_and_for_fields_that_cannot_be_edited(
    client: httpx.AsyncClient, alice: Headers, bob: Headers
) -> None:
    incident = await declare(client, alice)

    not_the_ic = await patch(client, bob, incident, {"title": "mine now"})
    severity = await patch(client, alice, incident, {"severity": "P1"})
    nothing = await patch(client, alice, incident, {"title": incident["title"]})

    assert_problem(not_the_ic, 403, "not-incident-authority")
    assert_problem(severity, 422, "validation-error", field="severity")
    assert_problem(nothing, 409, "no-change")
    assert [e["type"] for e in await events_of(client, alice, incident["id"])] == ["Declared"]


async def test_the_commander_stands_a_lead_down_but_never_leaves_command_empty(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice)
    await assign(client, alice, incident, "operations_lead", "dave")

    emptied = await client.request(
        "DELETE",
        f"/v1/incidents/{incident['id']}/roles/operations_lead",
        json={"note": "db team has it"},
        headers=alice,
    )
    without_body = await client.delete(
        f"/v1/incidents/{incident['id']}/roles/operations_lead", headers=alice
    )
    command = await client.delete(
        f"/v1/incidents/{incident['id']}/roles/incident_commander", headers=alice
    )

    assert emptied.status_code == 200, emptied.text
    assert emptied.json()["roles"] == {}
    unassigned = (await events_of(client, alice, incident["id"]))[-1]
    assert unassigned["type"] == "RoleUnassigned"
    assert unassigned["data"]["previous_holder"] == "dave"
    assert unassigned["data"]["note"] == "db team has it"
    assert_problem(without_body, 409, "no-change")  # nobody holds it now
    assert_problem(command, 422, "validation-error", field="role")


async def test_a_lead_hands_their_own_role_on_but_no_other(
    client: httpx.AsyncClient, alice: Headers, bob: Headers
) -> None:
    incident = await declare(client, alice)
    await assign(client, alice, incident, "communications_lead", "bob")

    handed = await post(
        client,
        bob,
        incident,
        "roles",
        {"role": "communications_lead", "assignee": "dave", "note": "end of my shift"},
    )
    other = await post(
        client, bob, incident, "roles", {"role": "operations_lead", "assignee": "bob"}
    )

    assert handed.status_code == 200, handed.text
    assert handed.json()["roles"] == {"communications_lead": "dave"}
    handover = (await events_of(client, alice, incident["id"]))[-1]
    assert (handover["actor"], handover["data"]["previous_holder"]) == ("bob", "bob")
    assert handover["data"]["note"] == "end of my shift"
    assert_problem(other, 403, "not-incident-authority")
