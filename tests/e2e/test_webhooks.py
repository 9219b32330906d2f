"""Webhooks end to end: `irm serve` (API, projector and notifier in one process) on the test's
database, driven over HTTP, delivering to a real receiver on loopback that verifies every
message with `standardwebhooks` and parses it with the `cloudevents` SDK."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningServer, irm_env, start_server
from tests.integration.notifier.receiver import (
    Receiver,
    eventually,
    first_arrivals,
    open_message,
    sent_out_of_order,
)

pytestmark = pytest.mark.slow

WEBHOOK_ENV = {
    "IRM_WEBHOOK_ALLOWED_TARGETS": "127.0.0.0/8,::1",
    "IRM_WEBHOOK_RETRY_SCHEDULE": "0,0.2,0.2,0.5",
    "IRM_NOTIFIER_IDLE_TIMEOUT": "0.2",
}
STORY: list[tuple[str, dict[str, Any]]] = [
    ("roles", {"role": "communications_lead", "assignee": "admin", "note": "status page"}),
    ("severity", {"severity": "P1", "reason": "every checkout fails"}),
    ("updates", {"audience": "internal", "body": "rolling back release 42"}),
    ("updates", {"audience": "customer", "body": "We are investigating checkout errors."}),
    ("resolve", {"resolution": "restored", "summary": "rolled back release 42"}),
    ("close", {}),
]
STATE_AFTER = [  # the incident's severity and status after each event of the story
    ("P2", "open"),
    ("P2", "open"),
    ("P1", "open"),
    ("P1", "open"),
    ("P1", "open"),
    ("P1", "resolved"),
    ("P1", "closed"),
]


def same_value(sent: Any, stored: Any) -> bool:
    """Equal, reading ISO timestamps as instants."""
    if isinstance(sent, str) and isinstance(stored, str) and re.match(r"\d{4}-\d\d-\d\dT", sent):
        return datetime.fromisoformat(sent) == datetime.fromisoformat(stored)
    return bool(sent == stored)


async def test_an_incident_lifecycle_over_http_arrives_signed_in_order_with_stable_ids(
    database_url: str, tmp_path: Path, servers: list[RunningServer]
) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        env = irm_env(IRM_DATABASE_URL=database_url, **WEBHOOK_ENV)
        server = await asyncio.to_thread(start_server, tmp_path, env)
        servers.append(server)
        token = server.printed_token()
        assert token is not None, server.stderr()
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=auth, timeout=10) as http:
            created = await http.post("/v1/subscriptions", json={"url": receiver.url})
            assert created.status_code == 201, created.text
            subscription = created.json()
            assert subscription["secret"].startswith("whsec_")

            titles = ("Checkout returns 500s", "Search is slow")
            incidents = await asyncio.gather(*(_declare(http, t) for t in titles))
            for step in STORY:  # the two stories interleave
                await asyncio.gather(*(_run(http, i, *step) for i in incidents))
            stored = {i: await _events(http, i) for i in incidents}
            total = sum(len(events) for events in stored.values())
            await receiver.wait_for(lambda r: len(r.acked()) == total, what="every event")

            async def all_succeeded() -> bool:
                log = await _delivery_log(http, subscription["id"])
                return {d["status"] for d in log} == {"succeeded"}

            await eventually(all_succeeded, what="every success recorded")
            deliveries = await _delivery_log(http, subscription["id"])
            replayed = await http.post(
                f"/v1/subscriptions/{subscription['id']}/replay", json={"from_position": 1}
            )
            assert replayed.status_code == 202, replayed.text
            assert replayed.json()["queued"] == total
            await receiver.wait_for(lambda r: len(r.acked()) == 2 * total, what="the replay")
        assert server.stop() == 0
    finally:
        await receiver.stop()

    live, again = receiver.requests[:total], receiver.requests[total:]
    assert [r.status for r in receiver.requests] == [200] * (2 * total)
    assert first_arrivals(live) == {i: list(range(1, 8)) for i in incidents}
    assert sent_out_of_order(live) == []

    # Ids: one per event, the same in the delivery log and again on replay, with the same body.
    assert len({r.message_id for r in live}) == total
    assert {d["message_id"] for d in deliveries} == {r.message_id for r in live}
    assert [len(d["attempt_log"]) for d in deliveries] == [1] * total
    assert sorted((r.message_id, r.body) for r in again) == sorted(
        (r.message_id, r.body) for r in live
    )
    assert first_arrivals(again) == first_arrivals(live)

    # Content: each message is the CloudEvent of its stored event.
    for incident_id, title in zip(incidents, titles, strict=True):
        got = [r for r in live if r.incident_id == incident_id]
        for received, event, (severity, status) in zip(
            got, stored[incident_id], STATE_AFTER, strict=True
        ):
            cloud_event = open_message(received, subscription["secret"])
            assert cloud_event.get_specversion() == "1.0"
            assert cloud_event.get_id() == received.message_id
            assert cloud_event.get_subject() == incident_id
            assert cloud_event.get_type() == _cloudevent_type(event["type"])
            assert cloud_event.get_time() == datetime.fromisoformat(event["occurred_at"])
            assert cloud_event.get_extension("irmposition") == event["position"]
            assert cloud_event.get_extension("irmversion") == event["version"]
            data = cloud_event.get_data()
            assert isinstance(data, dict)
            for name, value in event["data"].items():
                assert same_value(data[name], value), (event["type"], name)
            incident = data["incident"]
            assert (incident["title"], incident["severity"], incident["status"]) == (
                title,
                severity,
                status,
            )
            assert incident["number"] in (1, 2)


def _cloudevent_type(name: str) -> str:
    return "dev.irm.incident." + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + ".v1"


async def _declare(http: httpx.AsyncClient, title: str) -> str:
    answer = await http.post(
        "/v1/incidents",
        json={"title": title, "criteria": ["customer_sla_at_risk"], "severity": "P2"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _run(http: httpx.AsyncClient, incident_id: str, path: str, body: dict[str, Any]) -> None:
    answer = await http.post(f"/v1/incidents/{incident_id}/{path}", json=body)
    assert answer.status_code == 200, (path, answer.text)


async def _events(http: httpx.AsyncClient, incident_id: str) -> list[dict[str, Any]]:
    answer = await http.get(f"/v1/incidents/{incident_id}/events")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def _delivery_log(http: httpx.AsyncClient, subscription_id: str) -> list[dict[str, Any]]:
    answer = await http.get(f"/v1/subscriptions/{subscription_id}/deliveries?limit=200")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items
