"""Replay: queue the log's history from any position to one subscription, as it happened."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from shared.domain.incident import Incident
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from shared.webhooks.deliveries import NewDelivery, deliveries_for, queue_deliveries
from shared.webhooks.facts import IncidentFacts, facts_after
from shared.webhooks.subscriptions import Subscription


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """How much of the log was queued, and where to continue if it was cut short."""

    queued: int
    events_read: int
    next_position: int | None


def facts_of(incident: Incident) -> IncidentFacts:
    """The webhook facts of an aggregate (for an incident met mid-history)."""
    return IncidentFacts(
        number=incident.number,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        version=incident.version,
        customer_contact_at=incident.customer_contact_at,
        overdue_reminders=incident.overdue_reminders,
    )


async def replay(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    subscription: Subscription,
    *,
    from_position: int,
    max_events: int,
    batch_size: int = 500,
) -> ReplayResult:
    """Queue deliveries of events at `from_position` and after, up to `max_events` of them."""
    facts: dict[UUID, IncidentFacts] = {}
    position, read, queued = from_position - 1, 0, 0
    while read < max_events:
        batch = await store.read_log(after=position, limit=min(batch_size, max_events - read))
        if not batch:
            return ReplayResult(queued=queued, events_read=read, next_position=None)
        new: list[NewDelivery] = []
        for recorded in batch:
            before = facts.get(recorded.originator_id)
            if before is None and recorded.version > 1:
                incident = await repository.get(
                    recorded.originator_id, up_to_version=recorded.version - 1
                )
                before = facts_of(incident)
            after = facts_after(before, recorded)
            facts[recorded.originator_id] = after
            new += deliveries_for(recorded, after, [subscription], cause="replay")
        async with pool.acquire() as conn, conn.transaction():
            await queue_deliveries(conn, new)
        position, read, queued = batch[-1].position, read + len(batch), queued + len(new)
    more = await store.read_log(after=position, limit=1)
    return ReplayResult(
        queued=queued, events_read=read, next_position=more[0].position if more else None
    )
