"""Long-running parts of a process: restarted after failures, run beside other work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a cancelled caller still waits for work it started before giving up on it.
FINISH_GRACE_S = 30.0


async def run_forever(part: str, run: Callable[[], Awaitable[None]], *, pause: float = 1.0) -> None:
    """Run `run` again whenever it fails, until cancelled.

    Followers keep their positions in the database, so starting again loses nothing.
    """
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; restarting", part)
            await asyncio.sleep(pause)


@asynccontextmanager
async def in_background(name: str, work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `work` as a task for the duration of the block; cancel it on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def uninterrupted(work: Coroutine[Any, Any, T], *, grace: float = FINISH_GRACE_S) -> T:
    """Run `work` to its end even if the caller is cancelled meanwhile, then pass the
    cancellation on.

    A batch half sent is better finished: its transaction then commits or rolls back as a
    whole, and a shutdown waits milliseconds for it. More to the point, asyncpg's
    `executemany` cancelled between two of its messages can wait forever for a reply (seen with
    asyncpg 0.32: the server sits in ClientRead mid-INSERT), which hung whoever awaited the task.
    Work still running `grace` seconds after the cancellation is cancelled in its turn.
    """
    task = asyncio.create_task(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait({task}, timeout=grace)
        if not task.done():
            log.warning("work still running %.0f s after cancellation; cancelling it", grace)
            task.cancel()
        elif not task.cancelled() and task.exception() is not None:
            log.error("work failed after its caller was cancelled", exc_info=task.exception())
        raise
