"""Long-running parts of a process: restarted after failures, run beside other work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

log = logging.getLogger(__name__)


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
