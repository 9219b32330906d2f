"""Following the global event log: catch up in batches, then wait for NOTIFY, poll as fallback.

LISTEN starts before the first read, so an append that commits between a read and the wait
still wakes the follower. A lost notification costs at most `idle_timeout` of lag, and a lost
connection is re-opened and followed by a re-read, so no event is ever skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import suppress

import asyncpg

from shared.eventstore.schema import EVENTS_CHANNEL
from shared.eventstore.store import EventStore, RecordedEvent

log = logging.getLogger(__name__)


class LogFollower:
    """Yields batches of the log after a position, forever, in order, without gaps."""

    def __init__(
        self,
        dsn: str,
        store: EventStore,
        *,
        batch_size: int = 500,
        idle_timeout: float = 1.0,
        reconnect_delay: float = 0.5,
    ) -> None:
        self._dsn = dsn
        self._store = store
        self._batch_size = batch_size
        self._idle_timeout = idle_timeout
        self._reconnect_delay = reconnect_delay
        self._wake = asyncio.Event()
        self._position = 0

    def seek(self, position: int) -> None:
        """Continue after `position` (used when someone else moved the tracked position)."""
        self._position = position

    async def batches(self, after: int) -> AsyncIterator[list[RecordedEvent]]:
        """Batches of events with positions greater than `after`, as they are appended."""
        self._position = after
        while True:
            listener = await self._listen()
            try:
                async for batch in self._follow(listener):
                    yield batch
            except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as error:
                log.warning("lost the database connection (%s); reconnecting", error)
                await asyncio.sleep(self._reconnect_delay)
            finally:
                with suppress(Exception):
                    await listener.close()

    async def _follow(self, listener: asyncpg.Connection) -> AsyncIterator[list[RecordedEvent]]:
        while not listener.is_closed():
            self._wake.clear()
            batch = await self._store.read_log(after=self._position, limit=self._batch_size)
            if batch:
                self._position = batch[-1].position
                yield batch
            if len(batch) < self._batch_size:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the event is set, and the follower would never stop.
                with suppress(TimeoutError):
                    async with asyncio.timeout(self._idle_timeout):
                        await self._wake.wait()
        raise asyncpg.InterfaceError("LISTEN connection closed")

    async def _listen(self) -> asyncpg.Connection:
        while True:
            try:
                conn = await asyncpg.connect(self._dsn)
                await conn.add_listener(EVENTS_CHANNEL, self._notified)
                conn.add_termination_listener(lambda _: self._wake.set())
                return conn
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("cannot LISTEN yet (%s); retrying", error)
                await asyncio.sleep(self._reconnect_delay)

    def _notified(self, *_: object) -> None:
        self._wake.set()
