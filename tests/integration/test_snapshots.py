"""Long incidents load from a snapshot plus later events, and the result equals a full replay."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import orjson

from shared.domain.incident import Incident
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.integration.conftest import ALICE, declare_incident, post_updates


async def replay(
    store: EventStore, incident_id: UUID, up_to_version: int | None = None
) -> Incident:
    """The incident rebuilt from every one of its events, ignoring snapshots."""
    aggregate: Incident | None = None
    for recorded in await store.read_stream(incident_id, up_to_version=up_to_version):
        aggregate = recorded.event.mutate(aggregate)
    assert aggregate is not None
    return aggregate


def state(incident: Incident) -> dict[str, Any]:
    """Everything the aggregate holds, for comparing two ways of loading it."""
    return dict(vars(incident))


async def snapshot_versions(pool: asyncpg.Pool, incident_id: UUID) -> list[int]:
    """The versions at which snapshots of the incident were stored."""
    rows = await pool.fetch(
        "SELECT originator_version FROM irm_snapshots WHERE originator_id = $1 ORDER BY 1",
        incident_id,
    )
    return [r["originator_version"] for r in rows]


async def save(repository: IncidentRepository, incident: Incident) -> None:
    """Save like a command does, then let the background snapshot (if any) finish."""
    await repository.save(incident)
    await repository.drain()


async def a_long_incident(repository: IncidentRepository) -> Incident:
    """An incident saved command by command up to version 12, touching every kind of state."""
    incident = declare_incident()
    await save(repository, incident)
    incident.assign_role(ALICE, role="incident_commander", assignee="alice", note=None)
    await save(repository, incident)
    incident.change_severity(ALICE, severity="P1", reason="all regions")
    await save(repository, incident)
    incident.link_ticket(ALICE, system="jira", key="OPS-1", url="https://jira.test/OPS-1")
    await save(repository, incident)
    incident.assess_impact(ALICE, impact="checkout down", scope="EU and US")
    await save(repository, incident)
    for n in range(4):
        post_updates(incident, 1, prefix=f"round {n}")
        await save(repository, incident)
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    await save(repository, incident)
    incident.reopen(ALICE, reason="errors are back")
    await save(repository, incident)
    incident.resolve(ALICE, resolution="workaround", summary="traffic moved")
    await save(repository, incident)
    assert incident.version == 12
    return incident


async def test_snapshots_are_taken_every_interval(
    repository: IncidentRepository, pool: asyncpg.Pool
) -> None:
    incident = await a_long_incident(repository)

    assert await snapshot_versions(pool, incident.id) == [5, 10]


async def test_a_snapshot_is_taken_when_one_save_crosses_the_interval(
    repository: IncidentRepository, pool: asyncpg.Pool
) -> None:
    incident = declare_incident()
    post_updates(incident, 3)
    await save(repository, incident)
    assert await snapshot_versions(pool, incident.id) == []

    post_updates(incident, 3)
    await save(repository, incident)

    assert await snapshot_versions(pool, incident.id) == [7]


async def test_loading_from_a_snapshot_equals_a_full_replay(
    repository: IncidentRepository, store: EventStore
) -> None:
    incident = await a_long_incident(repository)

    loaded = await repository.get(incident.id)

    assert loaded.version == 12
    assert state(loaded) == state(await replay(store, incident.id))
    assert state(loaded) == state(incident)
    assert loaded.status == "resolved"
    assert loaded.resolution == "workaround"


async def test_the_snapshot_is_used_and_only_later_events_are_replayed(
    repository: IncidentRepository, store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = await a_long_incident(repository)
    # Rewrite the version-10 snapshot's title: a load that shows it must have started there.
    snapshot, _ = await store.read_latest(incident.id)
    assert snapshot is not None
    assert snapshot.originator_version == 10
    marked = Incident.Snapshot(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state={**snapshot.state, "title": "from the snapshot"},
    )
    await pool.execute("DELETE FROM irm_snapshots WHERE originator_version = 10")
    await store.write_snapshot(marked)

    loaded = await repository.get(incident.id)

    assert loaded.title == "from the snapshot"
    assert loaded.version == 12
    assert loaded.status == "resolved"
    assert loaded.resolution == "workaround"


async def test_a_historical_version_ignores_later_snapshots(
    repository: IncidentRepository, store: EventStore
) -> None:
    incident = await a_long_incident(repository)

    for version in (1, 4, 5, 7, 10, 11):
        historical = await repository.get(incident.id, up_to_version=version)
        assert historical.version == version
        assert state(historical) == state(await replay(store, incident.id, version))
    as_of_ten = await repository.get(incident.id, up_to_version=10)
    assert as_of_ten.status == "resolved"
    assert as_of_ten.resolution == "restored"
    as_of_eleven = await repository.get(incident.id, up_to_version=11)
    assert as_of_eleven.status == "open"
    assert as_of_eleven.resolution is None


async def test_loading_still_works_when_the_snapshots_are_gone(
    repository: IncidentRepository, store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = await a_long_incident(repository)
    await pool.execute("TRUNCATE irm_snapshots")

    loaded = await repository.get(incident.id)

    assert state(loaded) == state(await replay(store, incident.id))
    assert state(loaded) == state(incident)


async def test_snapshots_taken_while_commands_keep_coming_still_load_correctly(
    repository: IncidentRepository, store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = declare_incident()
    await repository.save(incident)
    for n in range(11):
        post_updates(incident, 1, prefix=f"burst {n}")
        await repository.save(incident)
    await repository.drain()

    versions = await snapshot_versions(pool, incident.id)
    loaded = await repository.get(incident.id)

    # Each snapshot is of the state when its task ran, which may be past the boundary.
    assert versions
    assert all(5 <= v <= 12 for v in versions)
    assert state(loaded) == state(await replay(store, incident.id))


async def test_a_snapshot_from_before_the_peak_severity_is_passed_over_for_the_events(
    repository: IncidentRepository, store: EventStore, pool: asyncpg.Pool
) -> None:
    incident = await a_long_incident(repository)  # declared P2, raised to P1
    incident.change_severity(ALICE, severity="P3", reason="one region only")
    await save(repository, incident)
    # As class version 1 wrote them: no class_version, no peak_severity.
    for row in await pool.fetch(
        "SELECT originator_version, state FROM irm_snapshots WHERE originator_id = $1",
        incident.id,
    ):
        stored = orjson.loads(row["state"])
        del stored["state"]["class_version"], stored["state"]["peak_severity"]
        await pool.execute(
            "UPDATE irm_snapshots SET state = $3 WHERE originator_id = $1 "
            "AND originator_version = $2",
            incident.id,
            row["originator_version"],
            orjson.dumps(stored),
        )

    loaded = await repository.get(incident.id)

    assert (loaded.severity, loaded.peak_severity) == ("P3", "P1")
    assert state(loaded) == state(await replay(store, incident.id))
    assert loaded.postmortem_required
