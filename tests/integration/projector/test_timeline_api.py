"""GET /v1/incidents/{id}/timeline: JSON by default, Markdown for a post-mortem on request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio

from shared.tokens import Scope
from tests.conftest import TokenFactory, bearer
from tests.integration.projector.conftest import Headers, assert_problem


@pytest_asyncio.fixture(loop_scope="session")
async def story(
    client: httpx.AsyncClient, make_token: TokenFactory, root: Headers
) -> dict[str, Any]:
    """An incident told through the API: alice declares, bob takes command, root breaks glass."""
    alice = bearer(await make_token("alice", Scope.WRITE))
    bob = bearer(await make_token("bob", Scope.WRITE))
    declared = await client.post(
        "/v1/incidents",
        json={
            "title": "Checkout | payments down",
            "criteria": ["customer_sla_at_risk"],
            "severity": "P2",
        },
        headers=alice,
    )
    incident = declared.json()
    base = f"/v1/incidents/{incident['id']}"
    for path, body, who in [
        ("roles", {"role": "incident_commander", "assignee": "bob", "note": "on shift"}, alice),
        ("severity", {"severity": "P1", "reason": "spreading"}, bob),
        ("updates", {"audience": "customer", "body": "We are investigating\nmore soon"}, bob),
        ("escalations", {"target": "database-team", "reason": "replica lag"}, root),
        ("resolve", {"resolution": "restored", "summary": "rolled back"}, bob),
    ]:
        response = await client.post(f"{base}/{path}", json=body, headers=who)
        assert response.status_code == 200, response.text
    events = await client.get(f"{base}/events", headers=alice)
    return {**incident, "position": response.json()["position"], "events": events.json()["items"]}


SUMMARIES = [
    ("alice", "Declared", "alice declared {ref} P2: Checkout | payments down"),
    ("alice", "RoleAssigned", "alice assigned incident_commander to bob: on shift"),
    ("bob", "SeverityChanged", "bob changed severity P2 → P1: spreading"),
    ("bob", "UpdatePosted", "bob posted a customer update: We are investigating…"),
    ("root", "Escalated", "root escalated to database-team: replica lag (admin, acting as IC)"),
    ("bob", "Resolved", "bob resolved (restored): rolled back"),
]


async def test_the_timeline_lists_every_event_with_a_summary(
    client: httpx.AsyncClient, story: dict[str, Any], reader: Headers
) -> None:
    response = await client.get(
        f"/v1/incidents/{story['id']}/timeline",
        params={"min_position": story["position"]},
        headers=reader,
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    timeline = response.json()
    assert (timeline["incident_id"], timeline["reference"]) == (story["id"], story["reference"])
    items = timeline["items"]
    assert [(i["actor"], i["type"], i["summary"]) for i in items] == [
        (actor, kind, summary.format(ref=story["reference"])) for actor, kind, summary in SUMMARIES
    ]
    assert [i["version"] for i in items] == [1, 2, 3, 4, 5, 6]
    assert [i["position"] for i in items] == [e["position"] for e in story["events"]]
    assert [i["occurred_at"] for i in items] == [e["occurred_at"] for e in story["events"]]
    assert [i["data"] for i in items] == [e["data"] for e in story["events"]]


async def test_the_markdown_timeline_is_ready_to_paste(
    client: httpx.AsyncClient, story: dict[str, Any], reader: Headers
) -> None:
    response = await client.get(
        f"/v1/incidents/{story['id']}/timeline",
        params={"min_position": story["position"]},
        headers={**reader, "Accept": "text/markdown"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"

    def utc(text: str) -> str:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    events = story["events"]
    rows = [
        f"| {utc(e['occurred_at'])} | {actor} | "
        + summary.format(ref=story["reference"]).replace("|", "\\|")
        + " |"
        for e, (actor, _, summary) in zip(events, SUMMARIES, strict=True)
    ]
    assert response.text == "\n".join(
        [
            f"## Timeline of {story['reference']}: Checkout \\| payments down",
            "",
            "- Severity: P1; status: resolved",
            f"- Declared: {utc(events[0]['occurred_at'])} by alice",
            f"- Resolved: {utc(events[-1]['occurred_at'])} (restored)",
            "",
            "| Time (UTC) | Who | What |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )


async def test_json_is_served_when_the_client_also_accepts_it(
    client: httpx.AsyncClient, story: dict[str, Any], reader: Headers
) -> None:
    response = await client.get(
        f"/v1/incidents/{story['id']}/timeline",
        params={"min_position": story["position"]},
        headers={**reader, "Accept": "application/json, text/markdown;q=0.5"},
    )

    assert response.headers["content-type"] == "application/json"
    assert len(response.json()["items"]) == 6


async def test_the_timeline_of_an_unknown_incident_is_not_found(
    client: httpx.AsyncClient, reader: Headers
) -> None:
    response = await client.get(f"/v1/incidents/{uuid.uuid4()}/timeline", headers=reader)

    assert_problem(response, 404, "incident-not-found")


async def test_the_timeline_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/incidents/{uuid.uuid4()}/timeline")

    assert_problem(response, 401, "unauthorized")
