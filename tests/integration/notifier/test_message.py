"""Every delivery is a CloudEvents 1.0 event signed per Standard Webhooks: checked with the
`standardwebhooks` verifier and parsed with the `cloudevents` SDK, as a subscriber would."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.integration.notifier.conftest import (
    LIFECYCLE,
    Headers,
    NotifierFactory,
    ReceiverFactory,
    command,
    declare,
    delivery_log,
    events_of,
    subscribe,
)
from tests.integration.notifier.receiver import open_message


def same_value(sent: Any, stored: Any) -> bool:
    """Equal, reading ISO timestamps as instants (the API and the message format them apart)."""
    if isinstance(sent, str) and isinstance(stored, str) and re.match(r"\d{4}-\d\d-\d\dT", sent):
        return datetime.fromisoformat(sent) == datetime.fromisoformat(stored)
    return bool(sent == stored)


async def test_every_delivery_verifies_and_parses_as_the_cloudevent_of_its_stored_event(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers()
    subscription = await subscribe(client, admin, receiver.url)
    async with notifier():
        incident_id = await declare(client, alice, title="Checkout returns 500s")
        for path, body in LIFECYCLE:
            await command(client, alice, incident_id, path, body)
        stored = await events_of(client, alice, incident_id)
        await receiver.wait_for(lambda r: len(r.requests) >= len(stored), what="every event")

    assert [r.status for r in receiver.requests] == [200] * len(stored), "one attempt each"
    expected_incident = [
        ("P2", "open"),  # Declared
        ("P2", "open"),  # RoleAssigned
        ("P1", "open"),  # SeverityChanged
        ("P1", "open"),  # UpdatePosted
        ("P1", "resolved"),  # Resolved
        ("P1", "closed"),  # Closed
    ]
    types = []
    for received, event, (severity, status) in zip(
        receiver.requests, stored, expected_incident, strict=True
    ):
        assert received.headers["content-type"] == "application/cloudevents+json"
        cloud_event = open_message(received, subscription["secret"])
        assert cloud_event.get_specversion() == "1.0"
        assert cloud_event.get_id() == received.message_id
        assert cloud_event.get_subject() == incident_id
        assert incident_id in cloud_event.get_source()
        assert cloud_event.get_time() == datetime.fromisoformat(event["occurred_at"])
        assert cloud_event.get_datacontenttype() == "application/json"
        assert cloud_event.get_extension("irmposition") == event["position"]
        assert cloud_event.get_extension("irmversion") == event["version"]
        types.append(cloud_event.get_type())

        data = cloud_event.get_data()
        assert isinstance(data, dict)
        for name, value in event["data"].items():
            assert same_value(data[name], value), (event["type"], name, data[name], value)
        assert data["actor"] == "alice"
        assert data["incident"] == {
            "id": incident_id,
            "number": 1,
            "reference": "INC-1",
            "title": "Checkout returns 500s",
            "severity": severity,
            "status": status,
        }
    assert types == [
        "dev.irm.incident.declared.v1",
        "dev.irm.incident.role_assigned.v1",
        "dev.irm.incident.severity_changed.v1",
        "dev.irm.incident.update_posted.v1",
        "dev.irm.incident.resolved.v1",
        "dev.irm.incident.closed.v1",
    ]
    assert len(receiver.message_ids) == len(stored), "one id per event"


async def test_during_a_rotation_both_the_new_and_the_old_secret_verify(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers()
    subscription = await subscribe(client, admin, receiver.url)
    old_secret = subscription["secret"]
    async with notifier():
        await declare(client, alice)
        await receiver.wait_for(lambda r: len(r.acked()) == 1, what="the first message")
        rotated = await client.post(
            f"/v1/subscriptions/{subscription['id']}/rotate-secret", headers=admin
        )
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        await declare(client, alice)
        await receiver.wait_for(lambda r: len(r.acked()) == 2, what="the second message")

    before, after = receiver.requests
    open_message(before, old_secret)
    with pytest.raises(WebhookVerificationError):
        open_message(before, new_secret)
    assert len(after.headers["webhook-signature"].split(" ")) == 2
    open_message(after, old_secret, new_secret)


async def test_a_subscription_gets_only_the_event_types_and_severities_it_asked_for(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    everything, filtered = await receivers(), await receivers()
    await subscribe(client, admin, everything.url)
    subscription = await subscribe(
        client,
        admin,
        filtered.url,
        event_types=["incident.severity_changed", "incident.resolved"],
        severities=["P1"],
    )
    async with notifier():
        for title in ("Checkout", "Search"):
            incident_id = await declare(client, alice, title=title)
            for path, body in LIFECYCLE:
                if title == "Search" and path == "severity":
                    body = {"severity": "P3", "reason": "only search suggestions"}
                await command(client, alice, incident_id, path, body)
        await everything.wait_for(lambda r: len(r.acked()) == 12, what="both stories")
        await filtered.wait_for(lambda r: len(r.acked()) >= 2, what="the filtered ones")

    # Every event was queued for both subscriptions at once, so the log is complete now.
    queued = await delivery_log(client, admin, subscription["id"])
    assert [d["event_type"] for d in queued] == ["incident.severity_changed", "incident.resolved"]
    got = [(r.event["data"]["incident"]["title"], r.event["type"]) for r in filtered.requests]
    assert got == [
        ("Checkout", "dev.irm.incident.severity_changed.v1"),
        ("Checkout", "dev.irm.incident.resolved.v1"),
    ]


async def test_the_incident_facts_follow_a_reopen(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    receiver = await receivers()
    await subscribe(client, admin, receiver.url)
    async with notifier():
        incident_id = await declare(client, alice, severity="P3")
        resolve = {"resolution": "workaround", "summary": "traffic moved to eu-west"}
        await command(client, alice, incident_id, "resolve", resolve)
        await command(client, alice, incident_id, "reopen", {"reason": "errors are back"})
        await command(client, alice, incident_id, "severity", {"severity": "P2", "reason": "x"})
        await command(client, alice, incident_id, "resolve", resolve)
        await command(client, alice, incident_id, "close", {})
        await receiver.wait_for(lambda r: len(r.acked()) == 6, what="every event")

    got = [
        (
            r.event["type"],
            r.event["data"]["incident"]["severity"],
            r.event["data"]["incident"]["status"],
        )
        for r in receiver.requests
    ]
    assert got == [
        ("dev.irm.incident.declared.v1", "P3", "open"),
        ("dev.irm.incident.resolved.v1", "P3", "resolved"),
        ("dev.irm.incident.reopened.v1", "P3", "open"),
        ("dev.irm.incident.severity_changed.v1", "P2", "open"),
        ("dev.irm.incident.resolved.v1", "P2", "resolved"),
        ("dev.irm.incident.closed.v1", "P2", "closed"),
    ]
