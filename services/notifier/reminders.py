"""Overdue customer updates: record CustomerUpdateOverdue once per missed cadence interval.

The scan reads the notifier's incident facts to find candidates; the decision is taken on the
incident aggregate itself, which refuses a reminder it already has. So a restarted, lagging or
second notifier never repeats a reminder, and intervals missed while it was down are recorded
when it returns as one reminder carrying how many were missed (`rules.overdue_by`), never a
burst: the log decides.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from services.notifier.follow_up_overdue import FollowUpOverdueScan
from shared.domain.cadence import Cadence
from shared.domain.errors import DomainError
from shared.domain.rules import customer_update_due, overdue_by
from shared.domain.values import SYSTEM_ACTOR
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import ConcurrencyConflictError

log = logging.getLogger(__name__)


class Reminders:
    """Periodically records reminders for open incidents whose customer update is overdue."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        repository: IncidentRepository,
        cadence: Cadence,
        *,
        scan_seconds: float,
    ) -> None:
        self._pool = pool
        self._repository = repository
        self._cadence = cadence
        self._scan_seconds = scan_seconds
        # Overdue follow-ups (issue 11) are scanned in the same loop, right after.
        self._follow_ups = FollowUpOverdueScan(pool, repository)

    async def run(self) -> None:
        """Scan until cancelled: overdue customer updates, then overdue follow-ups."""
        while True:
            try:
                await self.scan()
                await self._follow_ups.scan()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("reminder scan failed (%s); trying again", error)
            await asyncio.sleep(self._scan_seconds)

    async def scan(self) -> int:
        """Record every reminder that is due now; returns how many were recorded."""
        now = datetime.now(tz=UTC)
        records = await self._pool.fetch(
            """SELECT id, status, severity, customer_contact_at, overdue_reminders
               FROM irm_notifier_incidents WHERE status = 'open' AND severity IS NOT NULL"""
        )
        recorded = 0
        for r in records:
            due = customer_update_due(
                status=r["status"],
                severity=r["severity"],
                since=r["customer_contact_at"],
                cadence=self._cadence,
                reminders=r["overdue_reminders"],
            )
            if due is not None and due <= now:
                recorded += await self._remind(r["id"], now)
        return recorded

    async def _remind(self, incident_id: UUID, now: datetime) -> int:
        incident = await self._repository.get(incident_id)
        overdue = overdue_by(incident, self._cadence, now)
        if overdue is None:
            return 0
        due, missed = overdue
        try:
            incident.record_update_overdue(SYSTEM_ACTOR, due_at=due, missed_intervals=missed)
            await self._repository.save(incident)
        except (DomainError, ConcurrencyConflictError) as error:
            # Someone else recorded it, or the incident changed: the next scan decides.
            log.info("reminder for %s not recorded: %s", incident_id, error)
            return 0
        return 1
