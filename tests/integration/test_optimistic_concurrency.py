"""A stale writer gets a conflict and leaves no trace: not its events, not its hook's writes."""

from __future__ import annotations

import copy
from uuid import uuid4

import asyncpg
import pytest

from shared.eventstore.store import ConcurrencyConflictError, EventStore
from tests.integration.conftest import ALICE, declare_incident, post_updates


async def record_idempotency_key(conn: asyncpg.Connection, position: int) -> None:
    """A `within` hook doing what the API does: remember the request inside the append."""
    await conn.execute(
        """INSERT INTO irm_idempotency_keys
            (principal, idempotency_key, request_fingerprint, incident_id, position)
            VALUES ('alice', $1, 'fingerprint', $2, $3)""",
        f"key-{position}",
        uuid4(),
        position,
    )


async def count_idempotency_keys(pool: asyncpg.Pool) -> int:
    """How many rows `within` hooks have left behind."""
    return int(await pool.fetchval("SELECT count(*) FROM irm_idempotency_keys"))


async def test_a_stale_version_conflicts_and_keeps_the_first_writers_event(
    store: EventStore,
) -> None:
    incident = declare_incident()
    await store.append(incident.collect_events())
    stale = copy.deepcopy(incident)
    incident.post_update(ALICE, audience="internal", body="first writer")
    await store.append(incident.collect_events())
    stale.post_update(ALICE, audience="internal", body="second writer")

    with pytest.raises(ConcurrencyConflictError) as raised:
        await store.append(stale.collect_events())

    assert raised.value.originator_id == incident.id
    stream = await store.read_stream(incident.id)
    assert [r.version for r in stream] == [1, 2]
    assert vars(stream[1].event)["body"] == "first writer"


async def test_a_conflict_on_the_second_event_writes_nothing_of_the_append(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    contested = declare_incident(1)
    await store.append(contested.collect_events())
    stale = copy.deepcopy(contested)
    contested.post_update(ALICE, audience="internal", body="winner")
    await store.append(contested.collect_events())
    before = await store.max_position()
    # The first event (a new incident) is free; the second (a stale update) conflicts.
    fresh = declare_incident(2)
    stale.post_update(ALICE, audience="internal", body="loser")
    events = [*fresh.collect_events(), *stale.collect_events()]

    with pytest.raises(ConcurrencyConflictError) as raised:
        await store.append(events, within=record_idempotency_key)

    assert raised.value.originator_id == contested.id
    assert await store.exists(fresh.id) is False
    assert await store.max_position() == before
    assert {r.originator_id for r in await store.read_log(after=0, limit=100)} == {contested.id}
    assert await count_idempotency_keys(pool) == 0


async def test_a_multi_event_append_conflicting_midway_leaves_no_trace(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = declare_incident()
    post_updates(incident, 1)
    await store.append(incident.collect_events())
    stale = copy.deepcopy(incident)
    incident.post_update(ALICE, audience="internal", body="winner")
    await store.append(incident.collect_events())
    # Versions 3 (taken by the winner) and then 4 (free): nothing may be kept.
    post_updates(stale, 2, prefix="loser")
    loser_events = stale.collect_events()
    assert [e.originator_version for e in loser_events] == [3, 4]

    with pytest.raises(ConcurrencyConflictError):
        await store.append(loser_events, within=record_idempotency_key)

    stream = await store.read_stream(incident.id)
    assert [r.version for r in stream] == [1, 2, 3]
    assert vars(stream[2].event)["body"] == "winner"
    assert await count_idempotency_keys(pool) == 0


async def test_a_failing_hook_rolls_back_the_events_and_its_own_writes(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = declare_incident()

    async def fails_after_writing(conn: asyncpg.Connection, position: int) -> None:
        await record_idempotency_key(conn, position)
        raise RuntimeError("the read model refused")

    with pytest.raises(RuntimeError, match="read model refused"):
        await store.append(incident.collect_events(), within=fails_after_writing)

    assert await store.exists(incident.id) is False
    assert await store.max_position() == 0
    assert await count_idempotency_keys(pool) == 0


async def test_a_hook_that_succeeds_is_kept_with_the_events(
    store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = declare_incident()
    seen: list[int] = []

    async def remember(conn: asyncpg.Connection, position: int) -> None:
        seen.append(position)
        await record_idempotency_key(conn, position)

    last = await store.append(incident.collect_events(), within=remember)

    assert seen == [last]
    assert await store.exists(incident.id) is True
    assert await count_idempotency_keys(pool) == 1


async def test_the_same_version_twice_in_one_append_conflicts_and_writes_nothing(
    store: EventStore,
) -> None:
    free = declare_incident(1)
    repeated = declare_incident(2)
    events = [*free.collect_events(), *repeated.collect_events()]

    with pytest.raises(ConcurrencyConflictError) as raised:
        await store.append([*events, events[-1]])

    assert raised.value.originator_id == repeated.id
    assert await store.max_position() == 0
