"""`/metrics` carries what the Grafana dashboard (deploy/grafana/irm.json) and the alerts show:
commands and their latency by operation, open incidents and overdue customer updates by
severity, and the notifier's webhook queue, failures and subscriptions — each read after real
commands and real deliveries."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.webhooks.deliveries import NewDelivery, queue_deliveries
from tests.api.conftest import Headers, declare, post, read
from tests.api.subscription_helpers import closed_port, quick_notifier, subscribe
from tests.api.test_subscriptions_deliveries import Receiver, settled

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    """Every sample of /metrics, by name and labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; a missing sample fails the test, naming what is there."""
    key = (name, frozenset(labels.items()))
    assert key in samples, f"{name}{labels} not exported; {name}: " + str(
        [dict(k[1]) for k in samples if k[0] == name]
    )
    return samples[key]


async def test_commands_are_counted_and_timed_by_operation_and_status(
    client: httpx.AsyncClient, alice: Headers, carol: Headers
) -> None:
    incident = await declare(client, alice, severity="P3")
    changed = await post(
        client, alice, incident, "severity", {"severity": "P1", "reason": "spreading"}
    )
    refused = await post(client, carol, incident, "severity", {"severity": "P2", "reason": "x"})
    nowhere = await client.post("/v1/no-such-thing", json={}, headers=alice)
    await client.get(f"/v1/incidents/{incident['id']}", headers=alice)

    samples = await scrape(client)

    assert (changed.status_code, refused.status_code, nowhere.status_code) == (200, 403, 404)
    assert value(samples, "irm_commands_total", command="declare_incident", status="201") == 1
    assert value(samples, "irm_commands_total", command="change_severity", status="200") == 1
    assert value(samples, "irm_commands_total", command="change_severity", status="403") == 1
    assert value(samples, "irm_command_duration_seconds_count", command="change_severity") == 2
    assert value(samples, "irm_command_duration_seconds_sum", command="change_severity") > 0
    everything = value(
        samples, "irm_command_duration_seconds_bucket", command="declare_incident", le="+Inf"
    )
    assert everything == 1
    # Neither a read nor a request that matched no operation is a command.
    commands = {dict(labels)["command"] for name, labels in samples if name == "irm_commands_total"}
    assert commands == {"declare_incident", "change_severity"}


async def test_open_incidents_and_overdue_customer_updates_by_severity(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    # The tests' projector runs the cadence P1=3s, P2=6s, P3=12s, P4=24s.
    urgent = await declare(client, alice, severity="P1", title="Payments down")
    await declare(client, alice, severity="P3", title="Slow search")
    unrated = await declare(client, alice, severity=None, title="Something odd")
    done = await declare(client, alice, severity="P1", title="Blip")
    resolved = await post(
        client, alice, done, "resolve", {"resolution": "restored", "summary": "ok"}
    )
    assert resolved.status_code == 200, resolved.text
    assert (await read(client, alice, resolved.json())).status_code == 200
    assert (await read(client, alice, unrated)).status_code == 200

    samples = await scrape(client)
    async with asyncio.timeout(20):
        while value(samples, "irm_customer_updates_overdue", severity="P1") == 0:
            await asyncio.sleep(0.2)
            samples = await scrape(client)

    open_ = {
        s: value(samples, "irm_open_incidents", severity=s) for s in ("P1", "P2", "P3", "none")
    }
    assert open_ == {"P1": 1, "P2": 0, "P3": 1, "none": 1}
    assert value(samples, "irm_customer_updates_overdue", severity="P1") == 1
    assert value(samples, "irm_customer_updates_overdue", severity="P3") == 0

    # A customer update makes the P1 incident no longer overdue.
    posted = await post(
        client, alice, urgent, "updates", {"audience": "customer", "body": "We are on it."}
    )
    assert posted.status_code == 200, posted.text
    assert (await read(client, alice, posted.json())).status_code == 200
    samples = await scrape(client)
    assert value(samples, "irm_customer_updates_overdue", severity="P1") == 0


async def test_the_webhook_queue_failures_and_disabled_subscriptions(
    api: httpx.AsyncClient, pool: asyncpg.Pool, database_url: str, root: Headers, alice: Headers
) -> None:
    before = await scrape(api)
    assert value(before, "irm_webhook_deliveries_pending") == 0
    assert value(before, "irm_webhook_delivery_due_seconds") == 0
    assert value(before, "irm_webhook_subscriptions", status="disabled") == 0

    # A subscriber that answers 410 (disabled), and one nobody listens for (it gives up).
    receiver = Receiver([410])
    gone = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    leaving = await subscribe(api, root, url=f"http://127.0.0.1:{gone.sockets[0].getsockname()[1]}")
    dead_port = await closed_port()
    dead = await subscribe(api, root, url=f"http://127.0.0.1:{dead_port}/hooks")
    async with gone, quick_notifier(pool, database_url):
        await declare(api, alice)
        await settled(api, root, leaving["id"], 1)
        await settled(api, root, dead["id"], 1)
        settled_samples = await scrape(api)

    assert value(settled_samples, "irm_webhook_deliveries_failed") == 2
    assert value(settled_samples, "irm_webhook_deliveries_pending") == 0
    assert value(settled_samples, "irm_webhook_subscriptions", status="disabled") == 1
    assert value(settled_samples, "irm_webhook_subscriptions", status="active") == 1
    # The notifier's tracking: it has handled every event in the log.
    assert value(settled_samples, "irm_follower_lag_events", follower="notifier") == 0

    # With no notifier running, deliveries queued for an active subscription wait, due.
    waiting = await subscribe(api, root, url=f"http://127.0.0.1:{dead_port}/waiting")
    incident = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await queue_deliveries(
            conn,
            [
                NewDelivery(
                    subscription_id=uuid.UUID(waiting["id"]),
                    incident_id=incident,
                    position=1000 + n,
                    event_version=n,
                    event_type="incident.escalated",
                    message_id=f"msg_{n:032x}",
                    body=b"{}",
                    cause="live",
                )
                for n in (1, 2, 3)
            ],
        )
    await asyncio.sleep(0.3)
    queued = await scrape(api)

    assert value(queued, "irm_webhook_deliveries_pending") == 3
    assert value(queued, "irm_webhook_deliveries_retrying") == 0
    assert value(queued, "irm_webhook_delivery_due_seconds") >= 0.3

    # A paused subscription's deliveries are not due work for anyone.
    paused = await api.post(f"/v1/subscriptions/{waiting['id']}/pause", headers=root)
    assert paused.status_code == 200, paused.text
    after_pause = await scrape(api)
    assert value(after_pause, "irm_webhook_delivery_due_seconds") == 0
    assert value(after_pause, "irm_webhook_subscriptions", status="paused") == 1
