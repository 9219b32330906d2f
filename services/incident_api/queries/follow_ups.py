"""Listing follow-up actions across incidents from the `rm_follow_ups` read model."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS
from shared.readmodels.follow_ups import FollowUpRow
from shared.readmodels.tables import FOLLOW_UP_COLUMNS, follow_up_from_record


async def list_follow_ups(
    pool: asyncpg.Pool,
    *,
    status: str | None,
    owner: str | None,
    overdue: bool | None,
    today: date,
    limit: int,
) -> list[FollowUpRow]:
    """Follow-ups matching every given filter, soonest due first."""
    records = await pool.fetch(
        f"SELECT {', '.join(FOLLOW_UP_COLUMNS)} FROM {FOLLOW_UPS} "
        "WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR owner = $2) "
        "AND ($3::boolean IS NULL OR (status = 'open' AND due_date < $4) = $3) "
        "ORDER BY due_date, id LIMIT $5",
        status,
        owner,
        overdue,
        today,
        limit,
    )
    return [follow_up_from_record(r) for r in records]


async def follow_ups_of(pool: asyncpg.Pool, incident_ids: list[UUID]) -> list[FollowUpRow]:
    """The follow-ups of the given incidents."""
    records = await pool.fetch(
        f"SELECT {', '.join(FOLLOW_UP_COLUMNS)} FROM {FOLLOW_UPS} "
        "WHERE incident_id = any($1::uuid[])",
        incident_ids,
    )
    return [follow_up_from_record(r) for r in records]


async def incident_names(
    pool: asyncpg.Pool, incident_ids: list[UUID]
) -> dict[UUID, tuple[int, str]]:
    """The number and title of each of the given incidents that the read model has."""
    records = await pool.fetch(
        f"SELECT id, number, title FROM {INCIDENTS} WHERE id = any($1::uuid[])",
        list(set(incident_ids)),
    )
    return {r["id"]: (r["number"], r["title"]) for r in records}
