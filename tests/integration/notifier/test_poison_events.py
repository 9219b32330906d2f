"""Events already in the log that the notifier's tables cannot hold as they are never stop its
queueing: a title with NUL is kept escaped (the webhook body carries it as JSON), and an event
that cannot be handled at all is parked, and the events after it are delivered."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
import httpx

from services.notifier.enqueuer import NOTIFIER_NAME
from shared.domain import events as ev
from shared.eventstore.store import EventStore
from shared.readmodels.tables import NUL_REPLACEMENT
from shared.tracking import tracked_position
from tests.integration.notifier.conftest import (
    Headers,
    NotifierFactory,
    ReceiverFactory,
    declare,
    post_internal,
    subscribe,
)
from tests.integration.notifier.receiver import Receiver, first_arrivals
from tests.integration.projector.conftest import declare as declare_incident
from tests.integration.projector.conftest import post_internal as post_pending

NUL = "\x00"


async def test_the_notifier_passes_nul_text_and_parks_what_it_cannot_handle(
    client: httpx.AsyncClient,
    admin: Headers,
    alice: Headers,
    receivers: ReceiverFactory,
    notifier: NotifierFactory,
    store: EventStore,
    pool: asyncpg.Pool,
) -> None:
    receiver = await receivers()
    await subscribe(client, admin, receiver.url)
    # As an older version could have stored them: a title with NUL, and events of an incident
    # whose Declared is not in the log.
    poisoned = declare_incident(1)
    post_pending(poisoned, 1)
    nul_title: dict[str, Any] = {"title": f"Check{NUL}out"}
    await store.append(
        [
            dataclasses.replace(e, **nul_title) if isinstance(e, ev.Declared) else e
            for e in poisoned.collect_events()
        ]
    )
    orphan = declare_incident(2)
    post_pending(orphan, 2)
    await store.append(orphan.collect_events()[1:])

    async with notifier():
        later = await declare(client, alice, title="Search is slow")
        await post_internal(client, alice, later, 1)

        def all_arrived(r: Receiver) -> bool:
            got = first_arrivals(r.acked())
            return got.get(str(poisoned.id)) == [1, 2] and got.get(later) == [1, 2]

        await receiver.wait_for(all_arrived, what="the poisoned and the later incident")

    messages = {
        r.version: r.event["data"] for r in receiver.acked() if r.incident_id == str(poisoned.id)
    }
    # The event's own fields go as they are stored (JSON carries NUL); the incident's facts
    # come from the notifier's table, escaped, the same in every message.
    assert messages[1]["title"] == f"Check{NUL}out"
    assert [messages[v]["incident"]["title"] for v in (1, 2)] == [f"Check{NUL_REPLACEMENT}out"] * 2
    assert str(orphan.id) not in first_arrivals(receiver.requests)
    facts = await pool.fetchval(
        "SELECT title FROM irm_notifier_incidents WHERE id = $1", poisoned.id
    )
    assert facts == f"Check{NUL_REPLACEMENT}out"
    assert await tracked_position(pool, NOTIFIER_NAME) == await store.max_position()
    parked = await pool.fetch(
        "SELECT originator_id, originator_version FROM irm_parked_events "
        "WHERE follower = $1 ORDER BY position",
        NOTIFIER_NAME,
    )
    assert [(r["originator_id"], r["originator_version"]) for r in parked] == [
        (orphan.id, 2),
        (orphan.id, 3),
    ]
