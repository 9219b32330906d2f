"""The follow-up read model (rm_follow_ups): the live projector builds what the aggregates hold,
and rebuilding it from the log gives exactly the same rows."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.projector.rebuild import rebuild_read_models
from services.projector.settings import ProjectorSettings
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import declare, table_rows, wait_until_caught_up

ALICE, DAVE = Actor("alice"), Actor("dave")
OWNERS = ("bob", "carol", "erin", "frank")
FIRST_DUE = date(2026, 3, 1)


async def review_with_follow_ups(
    repository: IncidentRepository, number: int, rng: random.Random
) -> None:
    """Declare, resolve and review an incident, saving after every command as the API does:
    follow-ups are added, completed, reassigned and moved at random; some reviews publish."""
    incident = declare(number)
    await repository.save(incident)
    commands: list[Callable[[], object]] = [
        lambda: incident.resolve(ALICE, resolution="restored", summary=f"fixed {number}"),
        lambda: incident.start_postmortem(ALICE, facilitator="dave"),
        lambda: incident.record_root_cause(DAVE, text=f"cause {number}"),
    ]
    for command in commands:
        command()
        await repository.save(incident)
    for n in range(rng.randint(1, 4)):
        incident.add_follow_up(
            DAVE,
            title=f"follow-up {number}.{n} | with a pipe",
            owner=rng.choice(OWNERS),
            due_date=(FIRST_DUE + timedelta(days=rng.randint(0, 60))).isoformat(),
            ticket=rng.choice([None, f"OPS-{number}{n}"]),
        )
        await repository.save(incident)
    for follow_up_id in list(incident.review.follow_ups):
        for _ in range(rng.randint(0, 3)):
            await change_one(repository, incident, follow_up_id, rng)
    if rng.random() < 0.5:
        incident.publish_postmortem(DAVE, no_follow_up_reason=None)
        await repository.save(incident)


async def change_one(
    repository: IncidentRepository, incident: Incident, follow_up_id: str, rng: random.Random
) -> None:
    """Complete, reassign or move one follow-up, if that is still a change."""
    follow_up = incident.review.follow_ups[follow_up_id]
    choice = rng.choice(["complete", "reassign", "move"])
    if choice == "complete" and not follow_up.done:
        incident.complete_follow_up(DAVE, follow_up_id=follow_up_id, note=rng.choice([None, "ok"]))
    elif choice == "reassign":
        owner = rng.choice([o for o in OWNERS if o != follow_up.owner])
        incident.reassign_follow_up(DAVE, follow_up_id=follow_up_id, owner=owner)
    elif choice == "move":
        moved = date.fromisoformat(follow_up.due_date) + timedelta(days=rng.randint(1, 20))
        incident.change_follow_up_due_date(
            DAVE, follow_up_id=follow_up_id, due_date=moved.isoformat(), reason="later"
        )
    else:
        return
    await repository.save(incident)


async def follow_up_rows(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every row of rm_follow_ups, exactly as stored, in id order."""
    return [dict(r) for r in await pool.fetch("SELECT * FROM rm_follow_ups ORDER BY id")]


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


async def aggregates_follow_ups(
    pool: asyncpg.Pool, repository: IncidentRepository
) -> list[dict[str, Any]]:
    """Every follow-up as the incident aggregates hold them, as rows in id order."""
    expected = []
    for incident_id in [r["id"] for r in await pool.fetch("SELECT id FROM rm_incidents")]:
        incident = await repository.get(incident_id)  # from a snapshot where one was taken
        expected += [
            {
                "id": UUID(follow_up.id),
                "incident_id": incident.id,
                "title": follow_up.title,
                "owner": follow_up.owner,
                "due_date": date.fromisoformat(follow_up.due_date),
                "ticket": follow_up.ticket,
                "status": follow_up.status,
                "added_at": follow_up.added_at,
                "completed_at": follow_up.completed_at,
                "completed_by": follow_up.completed_by,
                "completion_note": follow_up.completion_note,
                "original_due_date": _date(follow_up.original_due_date),
                "due_date_changes": follow_up.due_date_changes,
                "overdue_for": _date(follow_up.overdue_for),
            }
            for follow_up in incident.review.follow_ups.values()
        ]
    return sorted(expected, key=lambda row: row["id"])


def without_updated_at(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without the one column the aggregate does not keep."""
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in rows]


async def write_reviews(repository: IncidentRepository, *, count: int, seed: int) -> None:
    """`count` reviewed incidents with their follow-ups."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        await review_with_follow_ups(repository, number, rng)


async def test_a_rebuild_leaves_the_follow_ups_exactly_as_the_live_projector_built_them(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
    live_projector: None,
) -> None:
    await write_reviews(repository, count=12, seed=50)
    await wait_until_caught_up(pool, store)
    live = await follow_up_rows(pool)
    live_incidents = await table_rows(pool)

    await rebuild_read_models(pool, store, projector_settings.cadence(), batch_size=7)

    assert await follow_up_rows(pool) == live
    assert await table_rows(pool) == live_incidents
    assert len(live) >= 12
    assert {row["status"] for row in live} == {"open", "done"}


async def test_the_follow_up_rows_match_the_aggregates_follow_ups(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    live_projector: None,
) -> None:
    await write_reviews(repository, count=8, seed=51)
    await wait_until_caught_up(pool, store)

    assert without_updated_at(await follow_up_rows(pool)) == await aggregates_follow_ups(
        pool, repository
    )


async def test_a_rebuild_repairs_a_follow_up_table_that_was_tampered_with(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
    live_projector: None,
) -> None:
    await write_reviews(repository, count=5, seed=52)
    await wait_until_caught_up(pool, store)
    live = await follow_up_rows(pool)
    await pool.execute("UPDATE rm_follow_ups SET owner = 'mallory', status = 'done'")
    await pool.execute("DELETE FROM rm_follow_ups WHERE id = $1", live[0]["id"])

    await rebuild_read_models(pool, store, projector_settings.cadence())

    assert await follow_up_rows(pool) == live


@pytest.mark.parametrize("batch_size", [1, 5_000])
async def test_a_rebuild_without_a_projector_builds_the_same_follow_ups(
    pool: asyncpg.Pool,
    store: EventStore,
    repository: IncidentRepository,
    projector_settings: ProjectorSettings,
    batch_size: int,
) -> None:
    await write_reviews(repository, count=4, seed=53)
    assert await follow_up_rows(pool) == [], "nothing projected them yet"

    await rebuild_read_models(pool, store, projector_settings.cadence(), batch_size=batch_size)

    rebuilt = await follow_up_rows(pool)
    assert without_updated_at(rebuilt) == await aggregates_follow_ups(pool, repository)
    assert len(rebuilt) >= 4
