"""Loading the incidents a metrics query covers."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from shared.readmodels.ddl import INCIDENTS
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.tables import INCIDENT_COLUMNS, incident_from_record


async def incidents_declared_between(
    pool: asyncpg.Pool, since: datetime, until: datetime, severity: str | None
) -> list[IncidentRow]:
    """Incidents declared in [since, until), optionally of one current severity."""
    records = await pool.fetch(
        f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM {INCIDENTS} "
        "WHERE declared_at >= $1 AND declared_at < $2 AND ($3::text IS NULL OR severity = $3)",
        since,
        until,
        severity,
    )
    return [incident_from_record(r) for r in records]
