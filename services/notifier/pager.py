"""Paging: the first page of an incident declared with services, and the escalation from level
to level while nobody acknowledges, until the policy runs out.

Candidates are the incidents whose next paging step is due (`irm_paging.due_at`, kept by the
paging follower). The decision is taken on the incident aggregate, loaded from the log: it
knows where paging stands and refuses a page for a position it has passed. Escalating and
paging the next level are one append, so a notifier killed at any point either recorded both
or neither; a second notifier's stale decision fails on the version it read. Runs only on the
replica holding the notifier's once-only lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

import asyncpg

from services.notifier.paging_targets import Policy, load_policy, next_page, service_policy
from shared.domain.errors import DomainError
from shared.domain.incident import Incident
from shared.domain.values import SYSTEM_ACTOR
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import ConcurrencyConflictError

log = logging.getLogger(__name__)

_CONCURRENT_STEPS: Final = 4
"""Steps of different incidents taken at once: each waits on a few round trips to the
database, and one process's event loop serves the API and the followers meanwhile."""


class Pager:
    """Takes every paging step that is due: page, escalate or stop."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        repository: IncidentRepository,
        *,
        scan_seconds: float,
        wake: asyncio.Event,
    ) -> None:
        self._pool = pool
        self._repository = repository
        self._scan_seconds = scan_seconds
        self._wake = wake

    async def run(self) -> None:
        """Step until cancelled: at each due time, when the follower wakes it, and at least
        every `scan_seconds`."""
        while True:
            self._wake.clear()
            try:
                await self.scan()
                wait = await self._until_next_due()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("paging scan failed (%s); trying again", error)
                wait = self._scan_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _until_next_due(self) -> float:
        due: datetime | None = await self._pool.fetchval(
            "SELECT min(due_at) FROM irm_paging WHERE due_at IS NOT NULL"
        )
        if due is None:
            return self._scan_seconds
        seconds = (due - datetime.now(tz=UTC)).total_seconds()
        return min(self._scan_seconds, max(seconds, 0.01))

    async def scan(self) -> int:
        """Take every step that is due now; returns how many were recorded."""
        rows = await self._pool.fetch(
            "SELECT incident_id, due_at FROM irm_paging WHERE due_at <= now() "
            "ORDER BY due_at LIMIT 200"
        )
        slots = asyncio.Semaphore(_CONCURRENT_STEPS)

        async def step(r: asyncpg.Record) -> int:
            async with slots:
                return await self._step(r["incident_id"], r["due_at"])

        # Each step is one incident's own: they do not wait for each other, and one that fails
        # does not stop the others. The first failure is raised once all are done.
        outcomes = await asyncio.gather(*(step(r) for r in rows), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(o for o in outcomes if isinstance(o, int))

    async def _step(self, incident_id: UUID, due_at: datetime) -> int:
        incident = await self._repository.get(incident_id)
        now = datetime.now(tz=UTC)
        if not incident.paging_active():
            await self._set_due(incident_id, due_at, None)
            return 0
        escalates_at = incident.page_escalates_at
        if incident.page_round != 0 and (escalates_at is None or escalates_at > now):
            # Not yet (or the follower has not caught up): look again when the level times out.
            await self._set_due(incident_id, due_at, escalates_at)
            return 0
        try:
            decided = await self._decide(incident, now)
            if not decided:
                await self._set_due(incident_id, due_at, None)
                return 0
            await self._repository.save(incident)
        except ConcurrencyConflictError as error:
            # Someone else decided first, or the incident changed: the next scan decides.
            log.info("paging step for %s not recorded: %s", incident_id, error)
            return 0
        except DomainError as error:
            # The incident refused the step: look again a scan later, not in a tight loop.
            log.warning("paging step for %s refused: %s", incident_id, error)
            later = now + timedelta(seconds=self._scan_seconds)
            await self._set_due(incident_id, due_at, later)
            return 0
        return 1

    async def _decide(self, incident: Incident, now: datetime) -> bool:
        """Record the next step on `incident`; False when there is nothing to do at all."""
        if incident.page_round == 0:
            if not incident.services:
                return False
            policy = await service_policy(self._pool, incident.services[0])
            if policy is None:
                log.info(
                    "%s: service %s has no escalation policy",
                    incident.reference,
                    incident.services[0],
                )
                return False
            reason = f"declared with service {incident.services[0]} (policy {policy.name})"
        else:
            policy = await _policy(self._pool, incident.page_policy)
            if policy is None:
                return False
            reason = (
                f"level {incident.page_level} not acknowledged within "
                f"{policy.timeout_seconds(incident.page_level)} s"
            )
        found = await next_page(self._pool, policy, incident.page_position, now)
        if found is None:
            why = "nobody acknowledged" if incident.page_round else "nobody to page at any level"
            incident.exhaust_paging(
                SYSTEM_ACTOR, policy=policy.id, now=now, reason=f"{why} (policy {policy.name})"
            )
            return True
        if found.skipped:
            reason += "; nobody on call at level " + ", ".join(map(str, found.skipped))
        if incident.page_round != 0:
            incident.escalate_page(SYSTEM_ACTOR, to=found.position, now=now, reason=reason)
        incident.page(
            SYSTEM_ACTOR,
            people=found.people,
            policy=policy.id,
            position=found.position,
            timeout_seconds=policy.timeout_seconds(found.position[1]),
            reason=reason,
        )
        return True

    async def _set_due(self, incident_id: UUID, was: datetime, due: datetime | None) -> None:
        """Move the due time, unless the follower moved it since it was read."""
        await self._pool.execute(
            "UPDATE irm_paging SET due_at = $3 WHERE incident_id = $1 AND due_at = $2",
            incident_id,
            was,
            due,
        )


async def _policy(pool: asyncpg.Pool, policy_id: str | None) -> Policy | None:
    return None if policy_id is None else await load_policy(pool, policy_id)
