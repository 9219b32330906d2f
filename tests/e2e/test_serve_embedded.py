"""A new user's first run: `irm serve` with no configuration, on the embedded PostgreSQL."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RunningServer, irm_env, start_server

pytestmark = pytest.mark.slow


def walk_incident_to_closure(base_url: str, token: str) -> str:
    """Declare, assign an IC, resolve and close over real HTTP; returns the incident id."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=10) as http:
        declared = http.post(
            "/v1/incidents",
            json={"title": "Checkout returns 500", "criteria": ["customer_sla_at_risk"]},
        )
        assert declared.status_code == 201, declared.text
        incident_id = str(declared.json()["id"])
        steps = [
            ("roles", {"role": "incident_commander", "assignee": "admin"}),
            ("severity", {"severity": "P1", "reason": "all checkouts failing"}),
            ("updates", {"audience": "customer", "body": "We are investigating."}),
            ("resolve", {"resolution": "restored", "summary": "rolled back release 42"}),
            ("close", {}),
        ]
        position = 0
        for path, body in steps:
            answer = http.post(f"/v1/incidents/{incident_id}/{path}", json=body)
            assert answer.status_code == 200, (path, answer.text)
            position = answer.json()["position"]
        # Reads come from the projector's read model: wait for our own last write.
        read = http.get(f"/v1/incidents/{incident_id}", params={"min_position": position})
        assert read.json()["status"] == "closed"
    return incident_id


def test_first_start_prints_a_working_token_and_restart_keeps_everything(
    tmp_path: Path, servers: list[RunningServer]
) -> None:
    data_dir = tmp_path / "pgdata"
    env = irm_env(IRM_DATA_DIR=str(data_dir))

    first = start_server(tmp_path, env)
    servers.append(first)
    token = first.printed_token()
    assert token is not None, first.stderr()
    incident_id = walk_incident_to_closure(first.base_url, token)
    assert first.stop() == 0
    assert not (data_dir / "postmaster.pid").exists(), "the embedded server should stop too"

    second = start_server(tmp_path, env)
    servers.append(second)
    assert second.printed_token() is None, "a token exists, so none is made on restart"
    events = httpx.get(
        f"{second.base_url}/v1/incidents/{incident_id}/events",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert events.status_code == 200
    types = [e["type"] for e in events.json()["items"]]
    assert types == [
        "Declared",
        "RoleAssigned",
        "SeverityChanged",
        "UpdatePosted",
        "Resolved",
        "Closed",
    ]
    assert second.stop(signal.SIGTERM) == 0, "SIGTERM (from an orchestrator) is a clean stop"
    assert not (data_dir / "postmaster.pid").exists()
