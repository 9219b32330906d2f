"""Overdue customer updates: record CustomerUpdateOverdue once per missed cadence interval.

The scan reads the notifier's incident facts to find candidates; the decision is taken on the
incident aggregate itself, which refuses a reminder it already has. So a restarted, lagging or
second notifier never repeats a reminder, and intervals missed while it was down are recorded
when it returns: the log decides.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from shared.cadence import Cadence
from shared.domain.errors import DomainError
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR, Status
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import ConcurrencyConflictError

log = logging.getLogger(__name__)


def next_reminder_due(incident: Incident, cadence: Cadence) -> datetime | None:
    """When the next reminder falls due, or None when no cadence applies."""
    if incident.status != Status.OPEN or incident.severity not in cadence:
        return None
    interval = cadence[incident.severity]
    due = incident.customer_contact_at + interval * (incident.overdue_reminders + 1)
    if incident.last_overdue_due_at is not None:
        # A raised severity shortens the interval; the next reminder still comes one full
        # interval after the last one, never at or before it (which the incident refuses).
        due = max(due, incident.last_overdue_due_at + interval)
    return due


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

    async def run(self) -> None:
        """Scan until cancelled."""
        while True:
            try:
                await self.scan()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("reminder scan failed (%s); trying again", error)
            await asyncio.sleep(self._scan_seconds)

    async def scan(self) -> int:
        """Record every reminder that is due now; returns how many were recorded."""
        now = datetime.now(tz=UTC)
        records = await self._pool.fetch(
            """SELECT id, severity, customer_contact_at, overdue_reminders
               FROM irm_notifier_incidents WHERE status = 'open' AND severity IS NOT NULL"""
        )
        recorded = 0
        for r in records:
            interval = self._cadence.get(r["severity"])
            if interval is None:
                continue
            if r["customer_contact_at"] + interval * (r["overdue_reminders"] + 1) <= now:
                recorded += await self._remind(r["id"], now)
        return recorded

    async def _remind(self, incident_id: UUID, now: datetime) -> int:
        recorded = 0
        while True:
            incident = await self._repository.get(incident_id)
            due = next_reminder_due(incident, self._cadence)
            if due is None or due > now:
                return recorded
            try:
                incident.record_update_overdue(SYSTEM_ACTOR, due_at=due)
                await self._repository.save(incident)
            except (DomainError, ConcurrencyConflictError) as error:
                # Someone else recorded it, or the incident changed: the next scan decides.
                log.info("reminder for %s not recorded: %s", incident_id, error)
                return recorded
            recorded += 1
