"""Reading an incident's timeline from the `rm_timeline` read model."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.readmodels.ddl import TIMELINE
from shared.readmodels.tables import TIMELINE_COLUMNS, timeline_from_record
from shared.readmodels.timeline import TimelineEntry, in_time_order


async def read_timeline(pool: asyncpg.Pool, incident_id: UUID) -> list[TimelineEntry]:
    """The incident's timeline rows in the order things happened (`in_time_order`)."""
    records = await pool.fetch(
        f"SELECT {', '.join(TIMELINE_COLUMNS)} FROM {TIMELINE} "
        "WHERE incident_id = $1 ORDER BY version",
        incident_id,
    )
    return in_time_order(timeline_from_record(r) for r in records)
