"""Running the notifier: queueing, sending and reminders, as `irm notifier` or in `irm serve`.

Every replica sends: deliveries are shared through their leases. The parts that must run once
(queueing the log's events as deliveries, the overdue-update reminder scan, and paging: its
follower, the escalation steps, the pages' delivery and the shift-handover scan) run only on the
replica that holds the notifier's once-only advisory lock; the others wait on standby for it
(`shared.active_standby`, the projector's pattern).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Final

from services.notifier.contact_delivery import CONNECTIONS_PER_METHOD, ContactSender
from services.notifier.enqueuer import Enqueuer
from services.notifier.handovers import HandoverScan
from services.notifier.origin_pools import OriginClients, OriginSenders
from services.notifier.page_sender import PageSender
from services.notifier.pager import Pager
from services.notifier.paging_follower import PagingFollower
from services.notifier.reminders import Reminders
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings
from shared.active_standby import Replica, while_active
from shared.background import in_background, run_forever
from shared.database import Database
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.follower_health import health_served
from shared.follower_process import follow_log

# The lock's name: replicas log `notifier once-only active` / `notifier once-only standby`.
ONCE_ONLY: Final = "notifier once-only"


async def run_notifier(database: Database, settings: NotifierSettings) -> None:
    """Send, and queue and remind while this replica holds the once-only lock, until
    cancelled; each part restarts after a failure. Serves /readyz when
    `notifier_health_port` is set."""
    store = EventStore(database.pool, build_mapper(), lock_timeout_ms=settings.lock_timeout_ms)
    repository = IncidentRepository(store, snapshot_interval=settings.snapshot_interval)
    wake = asyncio.Event()
    enqueuer = Enqueuer(database.pool, wake=wake)
    clients = origin_senders(settings)
    reminders = Reminders(
        database.pool,
        repository,
        settings.cadence(),
        scan_seconds=settings.reminder_scan_seconds,
    )

    wake_pager, wake_pages = asyncio.Event(), asyncio.Event()
    paging = PagingFollower(database.pool, wake_pager=wake_pager, wake_sender=wake_pages)
    pager = Pager(
        database.pool, repository, scan_seconds=settings.paging_scan_seconds, wake=wake_pager
    )

    handovers = HandoverScan(database.pool, repository, scan_seconds=settings.paging_scan_seconds)

    async def once_only() -> None:
        contact_pools = origin_senders(
            settings, connections=CONNECTIONS_PER_METHOD, timeout=settings.contact_timeout
        )
        async with (
            ContactSender(settings, contact_pools) as contacts,
            asyncio.TaskGroup() as group,
        ):
            pages = PageSender(
                database.pool,
                contacts,
                retry_schedule=settings.page_retries(),
                scan_seconds=settings.paging_scan_seconds,
                wake=wake_pages,
            )
            group.create_task(
                follow_log(
                    "notifier paging",
                    database,
                    store,
                    paging,
                    batch_size=settings.notifier_batch_size,
                    idle_timeout=settings.notifier_idle_timeout,
                )
            )
            group.create_task(run_forever("notifier pager", pager.run))
            group.create_task(run_forever("notifier pages", pages.run))
            group.create_task(run_forever("notifier handovers", handovers.run))
            group.create_task(
                follow_log(
                    "notifier queueing",
                    database,
                    store,
                    enqueuer,
                    batch_size=settings.notifier_batch_size,
                    idle_timeout=settings.notifier_idle_timeout,
                )
            )
            group.create_task(run_forever("notifier reminders", reminders.run))

    replica = Replica(ONCE_ONLY)
    try:
        sender = Sender(database.pool, clients, settings, wake=wake)
        try:
            async with (
                health_served(
                    settings.notifier_health_host,
                    settings.notifier_health_port,
                    database.pool,
                    replica,
                ),
                asyncio.TaskGroup() as group,
            ):
                group.create_task(run_forever("notifier sending", sender.run))
                group.create_task(while_active(ONCE_ONLY, database.url, once_only, replica=replica))
        finally:
            await repository.drain()
    finally:
        await clients.aclose()


def origin_senders(
    settings: NotifierSettings, *, connections: int | None = None, timeout: float | None = None
) -> OriginSenders:
    """Per-origin pools on the HTTP client the settings name: by default sized and timed for
    the subscriptions' deliveries; the contact methods' pages get their own."""
    if connections is None:
        connections = settings.webhook_max_in_flight_per_subscription
    if timeout is None:
        timeout = settings.webhook_timeout
    if settings.webhook_http_client == "aiohttp":
        from services.notifier.aiohttp_pools import AiohttpOriginClients  # only when chosen

        return AiohttpOriginClients(settings.allowlist(), connections=connections, timeout=timeout)
    return OriginClients(settings.allowlist(), connections=connections, timeout=timeout)


def notifier_running(
    database: Database, settings: NotifierSettings
) -> AbstractAsyncContextManager[None]:
    """Run the notifier in the background for the duration of the block."""
    return in_background("notifier", run_notifier(database, settings))
