"""A projector or notifier cancelled in the middle of a batch (shutdown, SIGTERM) finishes that
batch first. Cancelling asyncpg's executemany halfway used to hang the caller forever."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from services.notifier.enqueuer import NOTIFIER_NAME, Enqueuer
from services.projector.projector import PROJECTOR_NAME, Projector
from services.projector.settings import ProjectorSettings
from shared.eventstore.store import EventStore
from shared.tracking import tracked_position
from tests.integration.projector.conftest import (
    WHOLE_LOG,
    declare,
    folded,
    post_internal,
    projected,
)

INCIDENTS = 400
FINISHED_WITHIN_S = 30.0


async def many_incidents(store: EventStore) -> None:
    """INCIDENTS incidents of three events each, in one append."""
    events = []
    for number in range(1, INCIDENTS + 1):
        incident = declare(number)
        post_internal(incident, 2)
        events += incident.collect_events()
    await store.append(events)


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.02, 0.05])
async def test_a_cancelled_projector_batch_is_applied_whole(
    pool: asyncpg.Pool,
    store: EventStore,
    projector_settings: ProjectorSettings,
    delay: float,
) -> None:
    await many_incidents(store)
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    projector = Projector(pool, projector_settings.cadence())

    handling = asyncio.create_task(projector.handle(log))
    await asyncio.sleep(delay)
    handling.cancel()
    async with asyncio.timeout(FINISHED_WITHIN_S):
        await asyncio.gather(handling, return_exceptions=True)

    assert await tracked_position(pool, PROJECTOR_NAME) == log[-1].position
    assert await projected(pool) == await folded(store, projector_settings.cadence())


async def test_a_cancelled_notifier_batch_is_queued_whole(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await many_incidents(store)
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    enqueuer = Enqueuer(pool, wake=asyncio.Event())

    handling = asyncio.create_task(enqueuer.handle(log))
    await asyncio.sleep(random.uniform(0, 0.02))
    handling.cancel()
    async with asyncio.timeout(FINISHED_WITHIN_S):
        await asyncio.gather(handling, return_exceptions=True)

    assert await tracked_position(pool, NOTIFIER_NAME) == log[-1].position
    assert await pool.fetchval("SELECT count(*) FROM irm_notifier_incidents") == INCIDENTS
