"""Overdue follow-ups (issue 11): the notifier records FollowUpOverdue once, as `system`, for an
open follow-up past its due date, naming the owner, and subscribers get it like any event; a
done or cancelled follow-up, or one not yet due, gets none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from services.notifier.follow_up_overdue import FollowUpOverdueScan
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    command,
    declare,
    events_of,
    subscribe,
)
from tests.integration.notifier.receiver import eventually, open_message

pytestmark = pytest.mark.slow

OVERDUE = "FollowUpOverdue"


async def add_follow_up(
    client: httpx.AsyncClient, alice: Headers, incident_id: str, title: str, due: str
) -> str:
    """Add a follow-up for bob; returns its id."""
    answer = await command(
        client,
        alice,
        incident_id,
        "postmortem/follow-ups",
        {"title": title, "owner": "bob", "due_date": due},
    )
    follow_up_id: str = answer["follow_up_id"]
    return follow_up_id


async def overdue_records(
    client: httpx.AsyncClient, alice: Headers, incident_id: str
) -> list[dict[str, Any]]:
    return [e for e in await events_of(client, alice, incident_id) if e["type"] == OVERDUE]


async def test_an_open_follow_up_past_its_due_date_is_recorded_once_and_delivered(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
) -> None:
    today = datetime.now(tz=UTC).date()
    past, future = (today - timedelta(days=2)).isoformat(), (today + timedelta(days=5)).isoformat()
    receiver = await receivers()
    subscription = await subscribe(
        client, admin, receiver.url, event_types=["incident.follow_up_overdue"]
    )
    incident_id = await declare(client, alice)
    await command(client, alice, incident_id, "resolve", {"resolution": "restored", "summary": "x"})
    await command(client, alice, incident_id, "postmortem", {"facilitator": "alice"})
    late = await add_follow_up(client, alice, incident_id, "Alert at 80% pool use", past)
    done = await add_follow_up(client, alice, incident_id, "Done already", past)
    cancelled = await add_follow_up(client, alice, incident_id, "Not needed", past)
    await add_follow_up(client, alice, incident_id, "Not due yet", future)
    await command(client, alice, incident_id, f"postmortem/follow-ups/{done}/complete", {})
    await command(
        client,
        alice,
        incident_id,
        f"postmortem/follow-ups/{cancelled}/cancel",
        {"reason": "replaced"},
    )

    async with notifier():

        async def recorded() -> bool:
            return len(await overdue_records(client, alice, incident_id)) >= 1

        await eventually(recorded, what="the overdue follow-up")
        await receiver.wait_for(lambda r: len(r.acked()) >= 1, what="the overdue webhook")

    # Another scan (a restarted or second notifier) finds it recorded and records nothing.
    scan = FollowUpOverdueScan(pool, IncidentRepository(EventStore(pool, build_mapper())))
    assert await scan.scan() == 0

    (record,) = await overdue_records(client, alice, incident_id)
    assert record["actor"] == "system"
    assert record["data"] == {
        "follow_up_id": late,
        "title": "Alert at 80% pool use",
        "owner": "bob",
        "due_date": past,
        "original_due_date": past,
    }
    (message,) = [open_message(r, subscription["secret"]) for r in receiver.requests]
    assert message.get_type() == "dev.irm.incident.follow_up_overdue.v1"
    data = message.get_data()
    assert isinstance(data, dict)
    assert (data["follow_up_id"], data["owner"]) == (late, "bob")
