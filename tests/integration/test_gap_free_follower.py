"""A follower reading `position > last` while many writers append never skips an event.

Positions come from a sequence when the insert runs, but become visible when the transaction
commits. Without the appends' EXCLUSIVE lock a later position can commit first, the follower
moves past the earlier one, and that event is lost to it for good.
"""

from __future__ import annotations

import asyncio

from shared.eventstore.store import EventStore, RecordedEvent
from tests.integration.conftest import ALICE, declare_incident

WRITERS = 16
APPENDS_PER_WRITER = 25
BATCH = 50


async def write_one_incident(store: EventStore, number: int) -> None:
    """Declare an incident, then post updates to it, one append per command."""
    incident = declare_incident(number)
    await store.append(incident.collect_events())
    for n in range(APPENDS_PER_WRITER - 1):
        incident.post_update(ALICE, audience="internal", body=f"{number}/{n}")
        await store.append(incident.collect_events())


async def follow(store: EventStore, writers_done: asyncio.Event) -> list[RecordedEvent]:
    """Read the log from the last position seen until the writers are done and it is drained."""
    seen: list[RecordedEvent] = []
    last = 0
    while True:
        done = writers_done.is_set()
        batch = await store.read_log(after=last, limit=BATCH)
        seen.extend(batch)
        if batch:
            last = batch[-1].position
        elif done:
            return seen
        else:
            await asyncio.sleep(0)


async def test_a_follower_sees_every_event_once_in_order_while_writers_race(
    store: EventStore,
) -> None:
    writers_done = asyncio.Event()
    follower = asyncio.create_task(follow(store, writers_done))

    await asyncio.gather(*(write_one_incident(store, n) for n in range(1, WRITERS + 1)))
    writers_done.set()
    seen = await follower

    positions = [r.position for r in seen]
    assert positions == sorted(set(positions)), "seen out of order, or twice"
    whole_log = await store.read_log(after=0, limit=WRITERS * APPENDS_PER_WRITER + 1)
    assert len(whole_log) == WRITERS * APPENDS_PER_WRITER
    skipped = sorted({r.position for r in whole_log} - set(positions))
    assert skipped == [], "the follower passed over these positions"
    assert seen == whole_log
