"""Escalation policies and the service catalogue (issue 12): an admin defines them, anyone
reads them; what they name (schedules, people, policies) must exist; refusals record nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.api.conftest import Headers
from tests.problems import assert_problem

MISSING = "00000000-0000-4000-8000-000000000000"


async def a_schedule(client: httpx.AsyncClient, root: Headers) -> str:
    """A schedule's id."""
    response = await client.post(
        "/v1/schedules",
        json={
            "name": "sre-primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {"start": "2027-01-04T09:00:00+01:00", "rotation": "P7D", "participants": ["bob"]}
            ],
        },
        headers=root,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def policy(schedule_id: str, **fields: Any) -> dict[str, Any]:
    """Two levels: the schedule, then the schedule and carol."""
    return {
        "name": "payments",
        "repeat": 1,
        "levels": [
            {"timeout_seconds": 300, "targets": [{"type": "schedule", "id": schedule_id}]},
            {
                "timeout_seconds": 600,
                "targets": [
                    {"type": "schedule", "id": schedule_id},
                    {"type": "person", "handle": "carol"},
                ],
            },
        ],
        **fields,
    }


async def test_a_service_names_its_team_schedule_and_escalation_policy(
    client: httpx.AsyncClient, root: Headers, carol: Headers
) -> None:
    schedule_id = await a_schedule(client, root)

    created = await client.post("/v1/escalation-policies", json=policy(schedule_id), headers=root)
    policy_id = created.json()["id"]
    service = await client.post(
        "/v1/services",
        json={
            "name": "checkout",
            "team": "payments",
            "schedule": schedule_id,
            "escalation_policy": policy_id,
        },
        headers=root,
    )
    read_policy = await client.get(f"/v1/escalation-policies/{policy_id}", headers=carol)
    policies = await client.get("/v1/escalation-policies", headers=carol)
    read_service = await client.get(service.headers["Location"], headers=carol)
    catalogue = await client.get("/v1/services", headers=carol)

    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/v1/escalation-policies/{policy_id}"
    body = created.json()
    assert (body["name"], body["repeat"], body["created_by"]) == ("payments", 1, "root")
    assert body["levels"] == policy(schedule_id)["levels"]
    assert read_policy.json() == body
    assert [p["id"] for p in policies.json()["items"]] == [policy_id]
    assert service.status_code == 201, service.text
    assert {k: service.json()[k] for k in ("name", "team", "schedule", "escalation_policy")} == {
        "name": "checkout",
        "team": "payments",
        "schedule": schedule_id,
        "escalation_policy": policy_id,
    }
    assert read_service.json() == service.json()
    assert [s["name"] for s in catalogue.json()["items"]] == ["checkout"]


async def test_a_service_name_is_taken_once(client: httpx.AsyncClient, root: Headers) -> None:
    first = await client.post("/v1/services", json={"name": "search"}, headers=root)
    again = await client.post("/v1/services", json={"name": " search "}, headers=root)
    listed = await client.get("/v1/services", headers=root)

    assert first.status_code == 201, first.text
    assert (first.json()["team"], first.json()["schedule"]) == (None, None)
    problem = assert_problem(again, 409, "service-exists")
    assert problem["name"] == "search"
    assert len(listed.json()["items"]) == 1


async def test_what_does_not_exist_is_refused_and_nothing_is_recorded(
    client: httpx.AsyncClient, root: Headers, alice: Headers, pool: asyncpg.Pool
) -> None:
    schedule_id = await a_schedule(client, root)
    stored = await pool.fetchval("SELECT count(*) FROM irm_oncall_events")
    nobody = policy(schedule_id)
    nobody["levels"][1]["targets"][1]["handle"] = "eirn"

    answers = {
        "writer": await client.post(
            "/v1/escalation-policies", json=policy(schedule_id), headers=alice
        ),
        "no schedule": await client.post(
            "/v1/escalation-policies", json=policy(MISSING), headers=root
        ),
        "nobody": await client.post("/v1/escalation-policies", json=nobody, headers=root),
        "no levels": await client.post(
            "/v1/escalation-policies", json=policy(schedule_id, levels=[]), headers=root
        ),
        "zero timeout": await client.post(
            "/v1/escalation-policies",
            json=policy(
                schedule_id,
                levels=[{"timeout_seconds": 0, "targets": [{"type": "person", "handle": "carol"}]}],
            ),
            headers=root,
        ),
        "service schedule": await client.post(
            "/v1/services", json={"name": "x", "schedule": MISSING}, headers=root
        ),
        "service policy": await client.post(
            "/v1/services", json={"name": "x", "escalation_policy": schedule_id}, headers=root
        ),
    }
    missing_policy = await client.get(f"/v1/escalation-policies/{MISSING}", headers=root)
    missing_service = await client.get(f"/v1/services/{MISSING}", headers=root)

    assert_problem(answers["writer"], 403, "insufficient-scope")
    problem = assert_problem(answers["no schedule"], 422, "unknown-schedule")
    assert problem["field"] == "levels[0].targets[0].id"
    problem = assert_problem(answers["nobody"], 422, "unknown-person")
    assert (problem["field"], problem["handle"]) == ("levels[1].targets[1].handle", "eirn")
    assert_problem(answers["no levels"], 422, "validation-error")
    assert_problem(answers["zero timeout"], 422, "validation-error")
    assert (
        assert_problem(answers["service schedule"], 422, "unknown-schedule")["field"] == "schedule"
    )
    # A schedule's id is not an escalation policy's.
    assert_problem(answers["service policy"], 422, "unknown-escalation-policy")
    assert_problem(missing_policy, 404, "escalation-policy-not-found")
    assert_problem(missing_service, 404, "service-not-found")
    assert await pool.fetchval("SELECT count(*) FROM irm_oncall_events") == stored
