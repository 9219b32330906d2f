"""Active and standby replicas of a follower: the one that holds the follower's session-level
PostgreSQL advisory lock works, the others wait to take over.

The lock lives on a connection of its own. When the active process dies (SIGKILL, a crash) its
connection closes and PostgreSQL releases the lock at once; when the network between them is
cut, TCP keepalives end the session within ~11 s. A standby tries the lock every
`STANDBY_RETRY_S`, so it takes over within that of the release. The active process checks its
connection every `CHECK_S` and stops working as soon as it is lost; a standby may hold the lock
by then, so for a moment both may work. That is safe: a follower applies each batch and its new
position in one transaction under its tracking row's lock, so no event is applied twice.

The projector runs whole under its lock; the notifier only its once-only part (queueing and the
reminder scan), since all its replicas send. A `Replica` follows the role for `/readyz`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal

import asyncpg

log = logging.getLogger(__name__)

# The first key of the two-integer advisory locks that irm's followers hold (the second is the
# hash of the follower's name); the migrations and the rebuild use one-bigint keys, which are
# a separate key space.
LOCK_CLASS: Final = 0x1A_02
STANDBY_RETRY_S: Final = 0.5
CHECK_S: Final = 0.25
CHECK_TIMEOUT_S: Final = 5.0
# Server-side TCP keepalives of the lock's session: a peer gone silent is dropped after
# idle + interval * count seconds, so its lock is released.
KEEPALIVES: Final = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}


# A replica whose lock connection has not answered for this long is not a healthy one, whatever
# its last role: a standby that cannot reach the database cannot take over.
HEALTHY_WITHIN_S: Final = CHECK_TIMEOUT_S + 2 * STANDBY_RETRY_S

Role = Literal["starting", "standby", "active", "reconnecting"]


class LostLockError(Exception):
    """The connection holding the active replica's lock broke; a standby may take over."""


@dataclass(slots=True)
class Replica:
    """This process's part in one lock: its role, and when its lock connection last answered
    (for the process's `/readyz`)."""

    name: str
    role: Role = "starting"
    answered_at: float | None = None  # time.monotonic()

    def healthy(self) -> bool:
        """Active, or on standby ready to take over, with a lock connection that answers."""
        return (
            self.role in ("active", "standby")
            and self.answered_at is not None
            and time.monotonic() - self.answered_at <= HEALTHY_WITHIN_S
        )

    def mark_answered(self) -> None:
        """The lock connection answered just now."""
        self.answered_at = time.monotonic()


async def while_active(
    name: str,
    url: str,
    work: Callable[[], Awaitable[None]],
    *,
    replica: Replica | None = None,
) -> None:
    """Run `work` whenever this process holds `name`'s lock, until cancelled; wait on
    standby while another replica holds it. Logs `<name> active` and `<name> standby` once
    each time the role changes; `replica`, if given, follows the role."""
    me = Replica(name) if replica is None else replica
    while True:
        try:
            conn = await asyncpg.connect(
                url,
                server_settings={
                    "application_name": f"irm-{name.replace(' ', '-')}-lock",
                    **KEEPALIVES,
                },
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            me.role = "reconnecting"
            log.warning("%s cannot reach the database for its lock (%s); retrying", name, error)
            await asyncio.sleep(STANDBY_RETRY_S)
            continue
        try:
            while not await _try_lock(conn, name, me):
                if me.role != "standby":
                    me.role = "standby"
                    log.info("%s standby: another replica holds its lock", name)
                await asyncio.sleep(STANDBY_RETRY_S)
            me.role = "active"
            log.info("%s active: holding its lock", name)
            await _work_while_connected(conn, work, me)
        except (
            LostLockError,
            TimeoutError,
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
        ) as error:
            me.role = "reconnecting"
            log.warning("%s lost its lock (%s); stopped, and trying again", name, error)
            await asyncio.sleep(STANDBY_RETRY_S)
        finally:
            conn.terminate()


async def _try_lock(conn: asyncpg.Connection, name: str, me: Replica) -> bool:
    # Bounded: a standby whose database went silent must notice, not wait on TCP for minutes.
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        locked = await conn.fetchval(
            "SELECT pg_try_advisory_lock($1, hashtext($2))", LOCK_CLASS, name
        )
    me.mark_answered()
    return bool(locked)


async def _work_while_connected(
    conn: asyncpg.Connection, work: Callable[[], Awaitable[None]], me: Replica
) -> None:
    """Run `work` until it ends or the lock's connection breaks, whichever comes first."""
    working = asyncio.ensure_future(work())
    watching = asyncio.ensure_future(_watch(conn, me))
    try:
        done, _ = await asyncio.wait({working, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (working, watching):
            task.cancel()
        await asyncio.gather(working, watching, return_exceptions=True)
    for task in done:
        task.result()


async def _watch(conn: asyncpg.Connection, me: Replica) -> None:
    """Return never while the connection answers; raise `LostLockError` when it does not."""
    while True:
        await asyncio.sleep(CHECK_S)
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the query answers, and this loop would outlive its caller.
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                await conn.fetchval("SELECT 1")
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise LostLockError(f"{type(error).__name__}: {error}") from error
        me.mark_answered()
