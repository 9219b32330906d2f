"""Each command of the process over HTTP: 200 with the new state, its position and ETag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.api.conftest import Headers, events_of, read, same_state


async def command(
    client: httpx.AsyncClient,
    headers: Headers,
    incident: dict[str, Any],
    action: str,
    body: dict[str, Any] | None,
) -> dict[str, Any]:
    """Run a command that must succeed; checks the parts every command answer shares."""
    response = await client.post(
        f"/v1/incidents/{incident['id']}/{action}", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    assert response.headers["ETag"] == f'"{state["version"]}"'
    assert state["version"] == incident["version"] + 1
    assert state["position"] > incident["position"]
    assert state["id"] == incident["id"]
    return state


async def test_assign_a_role(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    state = await command(
        client,
        alice,
        incident,
        "roles",
        {"role": "communications_lead", "assignee": "bob", "note": "bob runs the status page"},
    )

    assert state["roles"] == {"communications_lead": "bob"}
    assert state["acting_commander"] == "alice"


async def test_assigning_an_incident_commander_moves_authority(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    state = await command(
        client, alice, incident, "roles", {"role": "incident_commander", "assignee": "dave"}
    )

    assert state["roles"] == {"incident_commander": "dave"}
    assert state["acting_commander"] == "dave"
    assert state["owner"] == "alice"


async def test_change_severity(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    state = await command(
        client, alice, incident, "severity", {"severity": "P1", "reason": "all regions down"}
    )

    assert state["severity"] == "P1"


async def test_assess_impact(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    state = await command(
        client,
        alice,
        incident,
        "impact",
        {"impact": "checkout fails for card payments", "scope": "EU customers"},
    )

    assert state["impact"] == "checkout fails for card payments"
    assert state["scope"] == "EU customers"


@pytest.mark.parametrize(
    ("ticket", "expected_url"),
    [
        (
            {"system": "zendesk", "key": "ZD-4411", "url": "https://support.example/ZD-4411"},
            "https://support.example/ZD-4411",
        ),
        ({"system": "jira", "key": "OPS-12"}, None),
    ],
)
async def test_link_a_ticket(
    client: httpx.AsyncClient,
    alice: Headers,
    incident: dict[str, Any],
    ticket: dict[str, str],
    expected_url: str | None,
) -> None:
    state = await command(client, alice, incident, "tickets", ticket)

    assert state["tickets"] == [
        {"system": ticket["system"], "key": ticket["key"], "url": expected_url}
    ]


@pytest.mark.parametrize("audience", ["internal", "customer"])
async def test_post_an_update(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], audience: str
) -> None:
    await command(
        client, alice, incident, "updates", {"audience": audience, "body": "Rolling back 4.2."}
    )

    posted = (await events_of(client, alice, incident["id"]))[-1]
    assert posted["type"] == "UpdatePosted"
    assert posted["data"]["audience"] == audience
    assert posted["data"]["body"] == "Rolling back 4.2."


async def test_escalate(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    await command(
        client,
        alice,
        incident,
        "escalations",
        {"target": "payments-team", "reason": "card processor errors"},
    )

    escalated = (await events_of(client, alice, incident["id"]))[-1]
    assert escalated["type"] == "Escalated"
    assert escalated["data"]["target"] == "payments-team"


async def test_resolve(client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]) -> None:
    state = await command(
        client, alice, incident, "resolve", {"resolution": "restored", "summary": "rolled back"}
    )

    assert state["status"] == "resolved"
    assert state["resolution"] == "restored"
    assert state["resolution_summary"] == "rolled back"
    assert datetime.fromisoformat(state["resolved_at"])
    assert state["closed_at"] is None


@pytest.mark.parametrize("body", [None, {}], ids=["no body", "empty object"])
async def test_close_a_resolved_incident(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any], body: dict[str, Any] | None
) -> None:
    resolved = await command(
        client, alice, incident, "resolve", {"resolution": "workaround", "summary": "failover"}
    )

    closed = await command(client, alice, resolved, "close", body)

    assert closed["status"] == "closed"
    assert datetime.fromisoformat(closed["closed_at"])
    assert closed["resolution"] == "workaround"


async def test_reopen_a_resolved_incident(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    resolved = await command(
        client, alice, incident, "resolve", {"resolution": "mitigated", "summary": "rate limited"}
    )

    reopened = await command(client, alice, resolved, "reopen", {"reason": "errors are back"})

    assert reopened["status"] == "open"
    assert reopened["resolution"] is None
    assert reopened["resolved_at"] is None


async def test_a_whole_incident_positions_and_versions_increase(
    client: httpx.AsyncClient, alice: Headers, dave: Headers, incident: dict[str, Any]
) -> None:
    steps: list[tuple[Headers, str, dict[str, Any] | None]] = [
        (alice, "roles", {"role": "incident_commander", "assignee": "dave", "note": "shift end"}),
        (dave, "severity", {"severity": "P1", "reason": "spreading"}),
        (dave, "impact", {"impact": "no checkouts", "scope": "all customers"}),
        (dave, "tickets", {"system": "zendesk", "key": "ZD-1"}),
        (dave, "updates", {"audience": "customer", "body": "We are investigating."}),
        (dave, "escalations", {"target": "db-oncall", "reason": "replica lag"}),
        (dave, "resolve", {"resolution": "restored", "summary": "replica rebuilt"}),
        (dave, "close", None),
    ]
    state = incident
    for headers, action, body in steps:
        state = await command(client, headers, state, action, body)

    assert state["version"] == 1 + len(steps)
    view = await read(client, alice, state)
    assert view.headers["ETag"] == f'"{state["version"]}"'
    same_state(state, view.json())
    recorded = await events_of(client, alice, incident["id"])
    assert recorded[-1]["position"] == state["position"]
