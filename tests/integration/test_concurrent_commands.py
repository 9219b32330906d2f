"""Fifty responders post to one incident at once: each update is kept exactly once or refused."""

from __future__ import annotations

import asyncio
from uuid import UUID

from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import ConcurrencyConflictError, EventStore
from tests.integration.conftest import ALICE, declare_incident

RESPONDERS = 50


async def post_once(repository: IncidentRepository, incident_id: UUID, body: str) -> int:
    """One command: load the incident, post an update, save; returns the event's position."""
    incident = await repository.get(incident_id)
    incident.post_update(ALICE, audience="internal", body=body)
    return await repository.save(incident)


async def test_concurrent_commands_on_one_incident_win_once_or_conflict(
    repository: IncidentRepository, store: EventStore
) -> None:
    incident = declare_incident()
    await repository.save(incident)
    bodies = [f"responder {n}" for n in range(RESPONDERS)]

    outcomes = await asyncio.gather(
        *(post_once(repository, incident.id, body) for body in bodies), return_exceptions=True
    )
    await repository.drain()

    won = {body: o for body, o in zip(bodies, outcomes, strict=True) if isinstance(o, int)}
    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyConflictError)]
    unexpected = [o for o in outcomes if not isinstance(o, int | ConcurrencyConflictError)]
    assert unexpected == []
    assert len(won) + len(conflicts) == RESPONDERS
    assert len(won) >= 1
    assert all(c.originator_id == incident.id for c in conflicts)

    stream = await store.read_stream(incident.id)
    assert [r.version for r in stream] == list(range(1, len(won) + 2))
    posted = [(vars(r.event)["body"], r.position) for r in stream[1:]]
    assert sorted(posted) == sorted(won.items())
    log = await store.read_log(after=0, limit=RESPONDERS * 2)
    assert len(log) == len(won) + 1
    assert (await repository.get(incident.id)).version == len(won) + 1
