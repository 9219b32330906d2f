"""Shift handover (issue 12): the shift of an incident's on-call schedule changes while the
acting IC is going off call; the notifier records HandoverDue once and tells both people (a
real webhook receiver and a real SMTP server); the handover is the role assignment with a note,
which the incidents read model counts as done."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.api.conftest import Headers, declare, post
from tests.api.paging_helpers import (
    Paging,
    event_names,
    eventually,
    hook,
    mailbox,
    paging,
    paging_api,
    paging_notifier,
    reachable_person,
)
from tests.integration.test_email_contacts import Hook, Mailbox

__all__ = ["hook", "mailbox", "paging", "paging_api"]  # the fixtures


async def test_the_ic_going_off_call_is_told_to_hand_over_and_does(
    paging: Paging,
    alice: Headers,
    bob: Headers,
    hook: tuple[Hook, str],
    mailbox: tuple[Mailbox, int],
) -> None:
    client, pool, database_url, root = paging
    seen, url = hook
    box, smtp_port = mailbox
    await reachable_person(client, root, "bob", [{"type": "webhook", "url": url}])
    await reachable_person(client, root, "carol", [{"type": "email", "address": "c@example.com"}])
    schedule = await client.post(
        "/v1/schedules",
        json={
            "name": "ledger-primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {"start": "2026-01-01T09:00:00+01:00", "rotation": "P7D", "participants": ["bob"]}
            ],
        },
        headers=root,
    )
    assert schedule.status_code == 201, schedule.text
    service = await client.post(
        "/v1/services", json={"name": "ledger", "schedule": schedule.json()["id"]}, headers=root
    )
    assert service.status_code == 201, service.text
    incident = await declare(client, alice, services=["ledger"], owner="bob")
    # carol takes over the shift in a moment (an override), while bob is the acting IC.
    change = datetime.now(tz=UTC) + timedelta(seconds=1)
    override = await client.post(
        f"/v1/schedules/{schedule.json()['id']}/overrides",
        json={
            "person": "carol",
            "start": change.isoformat(),
            "end": (change + timedelta(days=1)).isoformat(),
        },
        headers=root,
    )
    assert override.status_code == 201, override.text

    async with paging_notifier(pool, database_url, smtp_port=smtp_port):
        await eventually(lambda: _notified(seen, box))
        names = await event_names(client, alice, incident["id"])
        handed = await post(
            client,
            bob,
            incident,
            "roles",
            {"role": "incident_commander", "assignee": "carol", "note": "DB failover at 80%"},
        )
        assert handed.status_code == 200, handed.text

    assert names == ["Declared", "HandoverDue"]
    ((_headers, body),) = seen.requests
    notice = json.loads(body)
    assert notice["type"] == "dev.irm.person.handover.v1"
    assert notice["subject"] == "bob"
    assert "incident_commander passes from bob to carol" in notice["data"]["reason"]
    ((recipients, email),) = box.received
    assert recipients == ["c@example.com"]
    assert email["Subject"] == f"irm: {incident['reference']} handover due: {incident['title']}"
    assert handed.json()["acting_commander"] == "carol"

    async def done() -> bool | None:
        handovers = await pool.fetchval(
            "SELECT handovers::text FROM rm_incidents WHERE id = $1", incident["id"]
        )
        (handover,) = json.loads(handovers)
        return True if handover["done_at"] is not None else None

    await eventually(done)


async def _notified(seen: Hook, box: Mailbox) -> bool | None:
    return True if seen.requests and box.received else None
