"""A burst of incidents declared together (an alert storm) is paged in one scan, the steps of
different incidents taken at once rather than one after another, each incident paged once."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import httpx

from services.notifier.pager import Pager
from shared.domain.incident import Incident
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.api.conftest import Headers, declare
from tests.api.paging_helpers import checkout_service, event_names, paging_api

__all__ = ["paging_api"]  # the fixture

BURST = 8


class OverlapSeen(IncidentRepository):
    """The repository, noting how many incidents were being loaded at the same time."""

    loading = 0
    most = 0

    async def get(self, incident_id: UUID, *, up_to_version: int | None = None) -> Incident:
        """Load as usual, a little slowly, as on a busy database."""
        self.loading += 1
        self.most = max(self.most, self.loading)
        try:
            await asyncio.sleep(0.02)
            return await super().get(incident_id, up_to_version=up_to_version)
        finally:
            self.loading -= 1


async def test_one_scan_pages_a_burst_of_incidents_at_once_each_once(
    paging_api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    store: EventStore,
    root: Headers,
    alice: Headers,
) -> None:
    client = paging_api
    await checkout_service(client, root)
    incidents = [await declare(client, alice, services=["checkout"]) for _ in range(BURST)]
    # What the paging follower records for each declaration: its first step is due now.
    await pool.executemany(
        "INSERT INTO irm_paging (incident_id, number, title, due_at) VALUES ($1, $2, 't', now())",
        [(UUID(i["id"]), int(i["reference"].removeprefix("INC-"))) for i in incidents],
    )
    seen = OverlapSeen(store)
    pager = Pager(pool, seen, scan_seconds=1, wake=asyncio.Event())

    assert await pager.scan() == BURST
    assert seen.most > 1
    for incident in incidents:
        assert await event_names(client, alice, incident["id"]) == ["Declared", "Paged"]
    assert await pager.scan() == 0  # nothing left that is due
