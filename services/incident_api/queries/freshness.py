"""Read your own writes: wait (bounded) until the projector has passed a given position."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import asyncpg
from fastapi import Query

from services.incident_api.problems import ProblemError
from services.projector.projector import PROJECTOR_NAME
from shared.tracking import tracked_position

_POLL_SECONDS = 0.02

MinPosition = Annotated[
    int | None,
    Query(ge=0, description="Wait (bounded) until the read model includes this log position."),
]


async def wait_for_projection(pool: asyncpg.Pool, min_position: int, wait_seconds: float) -> None:
    """Return once the read models include `min_position`; 503 after `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while True:
        position = await tracked_position(pool, PROJECTOR_NAME)
        if position >= min_position:
            return
        if time.monotonic() >= deadline:
            raise ProblemError(
                503,
                "read-model-behind",
                "The read model has not caught up yet",
                f"the projector is at position {position}, the request needs {min_position}; "
                "retry shortly",
                headers={"Retry-After": "1"},
                projected_position=position,
                min_position=min_position,
            )
        await asyncio.sleep(_POLL_SECONDS)
