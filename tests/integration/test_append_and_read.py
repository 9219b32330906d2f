"""An incident's events go into the store and come back: by stream, by version range, by log."""

from __future__ import annotations

from uuid import uuid4

from shared.eventstore.store import EventStore
from tests.integration.conftest import ALICE, declare_incident, post_updates


async def test_an_empty_log_has_position_zero_and_no_streams(store: EventStore) -> None:
    assert await store.max_position() == 0
    assert await store.read_log(after=0, limit=10) == []
    assert await store.exists(uuid4()) is False
    assert await store.read_stream(uuid4()) == []


async def test_appended_events_read_back_as_the_same_stream(store: EventStore) -> None:
    incident = declare_incident()
    incident.assign_role(ALICE, role="incident_commander", assignee="bob", note="handing over")
    post_updates(incident, 3)
    events = incident.collect_events()

    last = await store.append(events)

    recorded = await store.read_stream(incident.id)
    assert [r.event for r in recorded] == events
    assert [r.version for r in recorded] == [1, 2, 3, 4, 5]
    assert {r.originator_id for r in recorded} == {incident.id}
    assert recorded[-1].position == last == await store.max_position()
    assert await store.exists(incident.id) is True


async def test_a_stream_reads_after_a_version_and_up_to_a_version(store: EventStore) -> None:
    incident = declare_incident()
    post_updates(incident, 5)
    await store.append(incident.collect_events())

    after_two = await store.read_stream(incident.id, after_version=2)
    up_to_four = await store.read_stream(incident.id, up_to_version=4)
    between = await store.read_stream(incident.id, after_version=2, up_to_version=4)

    assert [r.version for r in after_two] == [3, 4, 5, 6]
    assert [r.version for r in up_to_four] == [1, 2, 3, 4]
    assert [r.version for r in between] == [3, 4]
    assert await store.read_stream(incident.id, after_version=6) == []


async def test_the_log_holds_every_stream_in_append_order(store: EventStore) -> None:
    first, second = declare_incident(1), declare_incident(2)
    post_updates(first, 2)
    await store.append(first.collect_events())
    await store.append(second.collect_events())
    post_updates(first, 1, prefix="later")
    last = await store.append(first.collect_events())

    log = await store.read_log(after=0, limit=100)

    assert [(r.originator_id, r.version) for r in log] == [
        (first.id, 1),
        (first.id, 2),
        (first.id, 3),
        (second.id, 1),
        (first.id, 4),
    ]
    positions = [r.position for r in log]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert positions[-1] == last == await store.max_position()


async def test_the_log_pages_by_position_and_limit(store: EventStore) -> None:
    incident = declare_incident()
    post_updates(incident, 6)
    await store.append(incident.collect_events())
    everything = await store.read_log(after=0, limit=100)

    pages = []
    after = 0
    while page := await store.read_log(after=after, limit=3):
        assert len(page) <= 3
        pages.append(page)
        after = page[-1].position

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [r for p in pages for r in p] == everything
    assert await store.read_log(after=everything[3].position, limit=100) == everything[4:]
