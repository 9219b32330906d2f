"""Following the log as a long-running part of a process, or as a process's whole work.

The projector and the notifier's queueing follow the log the same way: each start, and each
restart after a failure, gets a fresh `LogFollower` on the database, handed to the part that
consumes its batches. As `irm projector` and `irm notifier`, following is the whole process:
open the database, follow until SIGINT or SIGTERM, then shut down cleanly.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from typing import Any, Protocol, TypeVar

from shared.background import run_forever
from shared.database import Database, open_database
from shared.eventstore.store import EventStore
from shared.settings import CommonSettings
from shared.subscription import LogFollower

SettingsT = TypeVar("SettingsT", bound=CommonSettings)


class LogConsumer(Protocol):
    """What takes the log's batches from a follower: the projector, the notifier's queueing."""

    async def run(self, follower: LogFollower) -> None:
        """Consume the follower's batches until cancelled."""
        ...


async def follow_log(
    part: str,
    database: Database,
    store: EventStore,
    consumer: LogConsumer,
    *,
    batch_size: int,
    idle_timeout: float,
) -> None:
    """Feed `consumer` from a new follower of the log, again after every failure, until
    cancelled; `part` names it in the log when it fails."""

    async def follow() -> None:
        follower = LogFollower(
            database.url, store, batch_size=batch_size, idle_timeout=idle_timeout
        )
        await consumer.run(follower)

    await run_forever(part, follow)


async def run_until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` until it ends or SIGINT/SIGTERM arrives; a signal cancels it cleanly."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with suppress(asyncio.CancelledError):
        await task


async def run_follower_process(
    settings: SettingsT, run: Callable[[Database, SettingsT], Awaitable[None]]
) -> None:
    """A follower as the process's whole work (`irm projector`, `irm notifier`): open the
    database (embedded unless configured), `run` on it until SIGINT/SIGTERM, close it. It
    migrates nothing: on a schema that is behind, `open_database` raises `SchemaBehindError`."""

    async def work() -> None:
        async with open_database(settings, migrate_schema=False) as database:
            await run(database, settings)

    await run_until_signalled(work())
