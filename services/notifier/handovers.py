"""Shift handover: when a shift of an incident's on-call schedule changes while the outgoing
person holds a role on the open incident (the acting IC counts as Incident Commander), record
`HandoverDue` once; the paging follower then notifies both people.

The schedules are those the catalogue gives the incident's services. Candidates come from the
incidents read model; the decision is taken on the incident aggregate, which refuses a handover
it has recorded already (one per role and shift change) or one whose person no longer holds
the role, so a restarted or a second notifier never records one twice. A shift change before
the declaration, or more than one look back, is not a handover of this incident.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

import asyncpg
import orjson

from shared.domain.errors import DomainError
from shared.domain.rules import acting_commander
from shared.domain.values import SYSTEM_ACTOR, Role
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import ConcurrencyConflictError
from shared.oncall.events import schedule_versions
from shared.oncall.history import ScheduleHistory
from shared.oncall.store import read_stream
from shared.readmodels.ddl import INCIDENTS

log = logging.getLogger(__name__)

_JUST_BEFORE: Final = timedelta(microseconds=1)


class HandoverScan:
    """Records HandoverDue for open incidents whose role holders just went off call."""

    def __init__(
        self, pool: asyncpg.Pool, repository: IncidentRepository, *, scan_seconds: float
    ) -> None:
        self._pool = pool
        self._repository = repository
        self._scan_seconds = scan_seconds

    async def run(self) -> None:
        """Scan until cancelled."""
        while True:
            try:
                await self.scan()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("handover scan failed (%s); trying again", error)
            await asyncio.sleep(self._scan_seconds)

    async def scan(self) -> int:
        """Record every handover due now; returns how many were recorded."""
        now = datetime.now(tz=UTC)
        rows = await self._pool.fetch(
            f"SELECT id, services, owner, roles::text AS roles, declared_at FROM {INCIDENTS} "
            "WHERE status = 'open' AND services <> '{}'"
        )
        histories: dict[str, ScheduleHistory | None] = {}
        recorded = 0
        for r in rows:
            roles: dict[str, str] = orjson.loads(r["roles"])
            holders = {
                **roles,
                Role.INCIDENT_COMMANDER.value: acting_commander(roles, r["owner"]),
            }
            for schedule in await self._schedules(r["services"]):
                if schedule not in histories:
                    histories[schedule] = await _history(self._pool, schedule)
                history = histories[schedule]
                if history is None:
                    continue
                recorded += await self._check(
                    r["id"], r["declared_at"], holders, schedule, history, now
                )
        return recorded

    async def _schedules(self, services: list[str]) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT DISTINCT data ->> 'schedule' AS schedule FROM irm_oncall_events "
            "WHERE stream_type = 'service' AND version = 1 AND data ->> 'name' = ANY($1::text[]) "
            "AND data ->> 'schedule' IS NOT NULL",
            services,
        )
        return [r["schedule"] for r in rows]

    async def _check(
        self,
        incident_id: UUID,
        declared_at: datetime,
        holders: dict[str, str],
        schedule: str,
        history: ScheduleHistory,
        now: datetime,
    ) -> int:
        slot = history.on_call(now)
        if slot.start is None or slot.start <= declared_at or not slot.people:
            return 0
        before = history.on_call(slot.start - _JUST_BEFORE).people
        due = [
            (role, holder)
            for role, holder in sorted(holders.items())
            if holder in before and holder not in slot.people
        ]
        if not due:
            return 0
        incident = await self._repository.get(incident_id)
        added = 0
        for role, holder in due:
            try:
                incident.record_handover_due(
                    SYSTEM_ACTOR,
                    role=role,
                    from_person=holder,
                    to_person=slot.people[0],
                    schedule=schedule,
                    shift_start=slot.start,
                )
            except DomainError as error:
                # Recorded already, or the role moved since the read model saw it.
                log.debug("handover of %s on %s not recorded: %s", role, incident_id, error)
                continue
            added += 1
        if not added:
            return 0
        try:
            await self._repository.save(incident)
        except ConcurrencyConflictError as error:
            log.info("handover on %s not recorded: %s", incident_id, error)
            return 0
        return added


async def _history(pool: asyncpg.Pool, schedule: str) -> ScheduleHistory | None:
    recorded = await read_stream(pool, UUID(schedule), "schedule")
    if not recorded:
        return None
    return ScheduleHistory(schedule_versions([(r.recorded_at, r.event) for r in recorded]))
