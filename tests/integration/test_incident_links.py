"""Linking two incidents appends both IncidentLinked events in one append: all or nothing."""

from __future__ import annotations

import asyncpg
import pytest

from services.incident_api.errors import ConcurrentModificationError
from services.incident_api.incident_service import IncidentCommands
from shared.domain.incident import Incident
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import AppendHook, ConcurrencyConflictError, EventStore
from tests.integration.conftest import ALICE, declare_incident


async def test_a_conflict_on_the_second_incident_records_the_link_on_neither(
    repository: IncidentRepository, store: EventStore
) -> None:
    this, other = declare_incident(number=3), declare_incident(number=7)
    await repository.save_together(this, other)
    this = await repository.get(this.id)
    other = await repository.get(other.id)
    this.link(ALICE, other_id=other.id, other_reference="INC-7", relation="related", direction="to")
    other.link(
        ALICE, other_id=this.id, other_reference="INC-3", relation="related", direction="from"
    )
    # Someone else changes the second incident first.
    meanwhile = await repository.get(other.id)
    meanwhile.post_update(ALICE, audience="internal", body="looking")
    await repository.save(meanwhile)

    with pytest.raises(ConcurrencyConflictError) as conflict:
        await repository.save_together(this, other)

    assert conflict.value.originator_id == other.id
    assert [r.version for r in await store.read_stream(this.id)] == [1]
    assert [type(r.event).__name__ for r in await store.read_stream(other.id)] == [
        "Declared",
        "UpdatePosted",
    ]


async def test_both_links_land_together(repository: IncidentRepository) -> None:
    this, other = declare_incident(number=3), declare_incident(number=7)
    this.link(
        ALICE, other_id=other.id, other_reference="INC-7", relation="caused_by", direction="to"
    )
    other.link(
        ALICE, other_id=this.id, other_reference="INC-3", relation="caused_by", direction="from"
    )

    await repository.save_together(this, other)

    assert (await repository.get(this.id)).links == this.links
    assert (await repository.get(other.id)).links == other.links


class _RacedRepository(IncidentRepository):
    """Before each of its first `races` links lands, someone posts to the second incident."""

    def __init__(self, store: EventStore, races: int) -> None:
        super().__init__(store)
        self.races = races

    async def save_together(self, *incidents: Incident, within: AppendHook | None = None) -> int:
        if self.races > 0:
            self.races -= 1
            meanwhile = await self.get(incidents[-1].id)
            meanwhile.post_update(ALICE, audience="internal", body="meanwhile")
            await self.save(meanwhile)
        return await super().save_together(*incidents, within=within)


@pytest.mark.parametrize(("retries", "links"), [(None, 1), (0, 0)])
async def test_the_service_decides_a_lost_link_again_or_records_nothing(
    pool: asyncpg.Pool, store: EventStore, retries: int | None, links: int
) -> None:
    repository = _RacedRepository(store, races=0)
    this, other = declare_incident(number=3), declare_incident(number=7)
    await repository.save_together(this, other)
    repository.races = 1
    commands = IncidentCommands(pool, repository, retry_seconds=5, retries=retries)

    if links:
        outcome = await commands.link(this.id, other.id, "related", ALICE)
        assert outcome.incident.links[0]["other_reference"] == "INC-7"
    else:
        with pytest.raises(ConcurrentModificationError):
            await commands.link(this.id, other.id, "related", ALICE)

    assert len((await repository.get(this.id)).links) == links
    after = await repository.get(other.id)
    assert [link["direction"] for link in after.links] == ["from"] * links
    assert after.version == 2 + links  # Declared, the update that won the race, the link
