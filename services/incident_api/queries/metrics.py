"""Loading the incidents a metrics query covers."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import asyncpg

from services.incident_api.incident_metrics import SeverityBasis
from shared.readmodels.ddl import INCIDENTS
from shared.readmodels.incidents import IncidentRow
from shared.readmodels.tables import INCIDENT_COLUMNS, incident_from_record

_SEVERITY_COLUMN: Final = {SeverityBasis.PEAK: "peak_severity", SeverityBasis.CURRENT: "severity"}


async def incidents_declared_between(
    pool: asyncpg.Pool,
    since: datetime,
    until: datetime,
    severity: str | None,
    basis: SeverityBasis = SeverityBasis.PEAK,
) -> list[IncidentRow]:
    """Incidents declared in [since, until), optionally of one severity on `basis`."""
    column = _SEVERITY_COLUMN[basis]
    records = await pool.fetch(
        f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM {INCIDENTS} "
        f"WHERE declared_at >= $1 AND declared_at < $2 AND ($3::text IS NULL OR {column} = $3)",
        since,
        until,
        severity,
    )
    return [incident_from_record(r) for r in records]
