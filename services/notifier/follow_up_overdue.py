"""Overdue follow-ups: record FollowUpOverdue once for an open follow-up past its due date.

Candidates come from the follow-ups read model (`rm_follow_ups`): open, due before today (UTC).
The decision is taken on the incident aggregate, which refuses a second reminder for the same
due date, so a lagging read model, a restarted notifier or a second one never repeat it. Run by
`Reminders` after each customer-update scan (one loop, one replica).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

from shared.domain.errors import DomainError
from shared.domain.values import SYSTEM_ACTOR
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import ConcurrencyConflictError
from shared.readmodels.ddl import FOLLOW_UPS

log = logging.getLogger(__name__)


class FollowUpOverdueScan:
    """Records FollowUpOverdue for each open follow-up that has passed its due date."""

    def __init__(self, pool: asyncpg.Pool, repository: IncidentRepository) -> None:
        self._pool = pool
        self._repository = repository

    async def scan(self) -> int:
        """Record every reminder that is due today; returns how many were recorded."""
        today = datetime.now(tz=UTC).date()
        records = await self._pool.fetch(
            f"SELECT id, incident_id FROM {FOLLOW_UPS} "
            "WHERE status = 'open' AND due_date < $1 AND overdue_for IS DISTINCT FROM due_date",
            today,
        )
        recorded = 0
        for r in records:
            recorded += await self._remind(r["incident_id"], str(r["id"]), today)
        return recorded

    async def _remind(self, incident_id: UUID, follow_up_id: str, today: date) -> int:
        incident = await self._repository.get(incident_id)
        try:
            incident.record_follow_up_overdue(SYSTEM_ACTOR, follow_up_id=follow_up_id, today=today)
            await self._repository.save(incident)
        except (DomainError, ConcurrencyConflictError) as error:
            log.info("follow-up reminder for %s not recorded: %s", follow_up_id, error)
            return 0
        return 1
