"""Read your own writes: wait (bounded) until the projector has passed a given position.

A query waits for the `min_position` its client passed (a write through another replica) and,
without being asked, for what this process appended that the query shows (`OwnWrites`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import asyncpg
from fastapi import Query

from services.incident_api.errors import PositionBeyondLogError, ReadModelBehindError
from services.incident_api.numbers import BIGINT_MAX
from services.incident_api.own_writes import OwnWrites
from services.projector.projector import PROJECTOR_NAME
from shared.eventstore.schema import EVENTS_TABLE
from shared.tracking import tracked_position

_POLL_SECONDS = 0.02

MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=BIGINT_MAX,
        description="Wait (bounded) until the read model includes this log position.",
    ),
]


async def wait_until_projected(
    pool: asyncpg.Pool,
    own_writes: OwnWrites,
    *,
    own: int,
    min_position: int | None,
    wait_seconds: float,
) -> None:
    """Return once the read models include `min_position` and `own` (a position this process
    appended); refuse after `wait_seconds`, as `wait_for_projection` does."""
    needed = max(own, min_position or 0)
    if needed <= own_writes.projected:
        return  # seen before: the projector never goes back
    own_writes.saw_projected(await wait_for_projection(pool, needed, wait_seconds))


async def wait_for_projection(pool: asyncpg.Pool, min_position: int, wait_seconds: float) -> int:
    """Return the projector's position once the read models include `min_position`; refuse
    after `wait_seconds`.

    A position beyond the end of the log is refused at once: no command has answered with it,
    so waiting could only end in `read-model-behind`.
    """
    deadline = time.monotonic() + wait_seconds
    checked_log = False
    while True:
        position = await tracked_position(pool, PROJECTOR_NAME)
        if position >= min_position:
            return position
        if not checked_log:
            log_position = await _log_position(pool)
            if min_position > log_position:
                raise PositionBeyondLogError(min_position, log_position)
            checked_log = True
        if time.monotonic() >= deadline:
            raise ReadModelBehindError(position, min_position)
        await asyncio.sleep(_POLL_SECONDS)


async def _log_position(pool: asyncpg.Pool) -> int:
    """The position of the newest event in the log (0 when it is empty)."""
    value = await pool.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
    return int(value)
