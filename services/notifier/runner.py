"""Running the notifier: queueing, sending and reminders, as `irm notifier` or in `irm serve`."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

import httpx

from services.notifier.enqueuer import Enqueuer
from services.notifier.reminders import Reminders
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings
from shared.background import in_background, run_forever
from shared.database import Database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.subscription import LogFollower
from shared.webhooks.guarded_transport import GuardedTransport


async def run_notifier(database: Database, settings: NotifierSettings) -> None:
    """Queue, send and remind until cancelled; each part restarts after a failure."""
    store = EventStore(database.pool, build_mapper(), lock_timeout_ms=settings.lock_timeout_ms)
    repository = IncidentRepository(store, snapshot_interval=settings.snapshot_interval)
    wake = asyncio.Event()
    enqueuer = Enqueuer(database.pool, wake=wake)
    limits = httpx.Limits(max_connections=settings.webhook_max_in_flight)
    async with httpx.AsyncClient(
        transport=GuardedTransport(settings.allowlist(), limits=limits),
        timeout=settings.webhook_timeout,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        sender = Sender(database.pool, client, settings, wake=wake)
        reminders = Reminders(
            database.pool,
            repository,
            settings.cadence(),
            scan_seconds=settings.reminder_scan_seconds,
        )

        async def follow() -> None:
            follower = LogFollower(
                database.url,
                store,
                batch_size=settings.notifier_batch_size,
                idle_timeout=settings.notifier_idle_timeout,
            )
            await enqueuer.run(follower)

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(run_forever("notifier queueing", follow))
                group.create_task(run_forever("notifier sending", sender.run))
                group.create_task(run_forever("notifier reminders", reminders.run))
        finally:
            await repository.drain()


def notifier_running(
    database: Database, settings: NotifierSettings
) -> AbstractAsyncContextManager[None]:
    """Run the notifier in the background for the duration of the block."""
    return in_background("notifier", run_notifier(database, settings))
