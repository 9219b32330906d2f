"""GET /v1/incidents/{id}/events: the incident's record, in order, exactly as stored."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx

from tests.api.conftest import Headers, events_of


async def test_events_are_the_ordered_record_of_every_change(
    client: httpx.AsyncClient,
    alice: Headers,
    bob: Headers,
    dave: Headers,
    incident: dict[str, Any],
) -> None:
    path = f"/v1/incidents/{incident['id']}"
    answers = [
        await client.post(
            f"{path}/roles",
            json={"role": "incident_commander", "assignee": "bob"},
            headers=alice,
        ),
        await client.post(
            f"{path}/roles",
            json={"role": "incident_commander", "assignee": "dave", "note": "bob's shift ended"},
            headers=bob,
        ),
        await client.post(
            f"{path}/severity", json={"severity": "P1", "reason": "spreading"}, headers=dave
        ),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]

    recorded = await events_of(client, alice, incident["id"])

    assert [e["type"] for e in recorded] == [
        "Declared",
        "RoleAssigned",
        "RoleAssigned",
        "SeverityChanged",
    ]
    assert [e["version"] for e in recorded] == [1, 2, 3, 4]
    positions = [e["position"] for e in recorded]
    assert all(earlier < later for earlier, later in itertools.pairwise(positions))
    assert positions[1:] == [a.json()["position"] for a in answers]
    assert [e["actor"] for e in recorded] == ["alice", "alice", "bob", "dave"]
    for event in recorded:
        assert set(event) == {"position", "version", "type", "occurred_at", "actor", "data"}
        assert datetime.fromisoformat(event["occurred_at"])

    first_ic, handover, severity = (e["data"] for e in recorded[1:])
    assert first_ic["previous_holder"] is None
    assert handover == {
        "role": "incident_commander",
        "assignee": "dave",
        "previous_holder": "bob",
        "note": "bob's shift ended",
        "break_glass": False,
    }
    assert severity == {
        "from_severity": "P2",
        "to_severity": "P1",
        "reason": "spreading",
        "break_glass": False,
    }


async def test_events_of_one_incident_leave_out_the_others(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    other = await client.post(
        "/v1/incidents",
        json={"title": "Other", "criteria": ["service_stability_at_risk"]},
        headers=alice,
    )
    assert other.status_code == 201

    recorded = await events_of(client, alice, incident["id"])

    assert [e["position"] for e in recorded] == [incident["position"]]
