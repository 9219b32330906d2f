"""The projection-lag baseline: `python -m bench.bare_follower NAME BATCH_SIZE`.

A follower of the log that does everything a follower must and nothing else: LISTEN on the
store's channel, read the log after its position in batches (the same query as the store's
`read_log`, rows left undecoded), and record its position in `irm_tracking` in a transaction
with the same `lock_tracking`/`set_tracking` the projector uses. What the projector takes
beyond this is its projection work: decoding events and updating the read models.

The database comes from `BENCH_DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import suppress

import asyncpg

from shared.eventstore.schema import EVENTS_CHANNEL, EVENTS_TABLE
from shared.tracking import lock_tracking, set_tracking

IDLE_TIMEOUT_S = 1.0
_READ = (
    "SELECT originator_id, originator_version, topic, state, notification_id "  # noqa: S608
    f"FROM {EVENTS_TABLE} WHERE notification_id > $1 ORDER BY notification_id LIMIT $2"
)


async def follow(dsn: str, name: str, batch_size: int) -> None:
    """Follow the log and track it, until cancelled."""
    wake = asyncio.Event()
    async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
        listener = await asyncpg.connect(dsn)
        try:
            await listener.add_listener(EVENTS_CHANNEL, lambda *_: wake.set())
            async with pool.acquire() as conn, conn.transaction():
                position = await lock_tracking(conn, name)
            while True:
                wake.clear()
                rows = await pool.fetch(_READ, position, batch_size)
                if rows:
                    position = int(rows[-1]["notification_id"])
                    async with pool.acquire() as conn, conn.transaction():
                        await lock_tracking(conn, name)
                        await set_tracking(conn, name, position)
                if len(rows) < batch_size:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), timeout=IDLE_TIMEOUT_S)
        finally:
            await listener.close()


def main() -> None:
    """Run until SIGTERM (the default action ends the process)."""
    name, batch_size = sys.argv[1], int(sys.argv[2])
    asyncio.run(follow(os.environ["BENCH_DATABASE_URL"], name, batch_size))


if __name__ == "__main__":
    main()
