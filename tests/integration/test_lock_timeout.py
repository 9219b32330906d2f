"""An append that cannot take the events table lock in time gives up cleanly: busy, not stuck."""

from __future__ import annotations

import asyncpg
import pytest

from shared.eventstore.mapper import build_mapper
from shared.eventstore.schema import EVENTS_TABLE
from shared.eventstore.store import EventStore, StoreBusyError
from tests.integration.conftest import declare_incident


async def test_an_append_blocked_by_the_table_lock_is_busy_and_writes_nothing(
    pool: asyncpg.Pool, database_url: str
) -> None:
    impatient = EventStore(pool, build_mapper(), lock_timeout_ms=50)
    incident = declare_incident()
    events = incident.collect_events()
    holder = await asyncpg.connect(database_url)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")

        with pytest.raises(StoreBusyError):
            await impatient.append(events)

        await transaction.rollback()
    finally:
        await holder.close()

    assert await impatient.exists(incident.id) is False
    assert await impatient.max_position() == 0
    # Once the lock is released the same append goes through.
    assert await impatient.append(events) >= 1
    assert [r.event for r in await impatient.read_stream(incident.id)] == events
