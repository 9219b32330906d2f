"""Events already in the log that the read models cannot hold as they are never stop the
projector or a rebuild: text PostgreSQL refuses (NUL) is stored escaped, and an event that
cannot be projected at all is parked, counted, reported by /readyz, and passed."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg

from services.projector.projector import PROJECTOR_NAME, Projector
from services.projector.rebuild import rebuild_read_models
from services.projector.settings import ProjectorSettings
from shared.domain.incident import Incident
from shared.eventstore.store import EventStore
from shared.readmodels.tables import NUL_REPLACEMENT
from shared.tokens import Scope
from shared.tracking import tracked_position
from tests.conftest import TokenFactory, bearer
from tests.integration.projector.conftest import (
    WHOLE_LOG,
    ApiFactory,
    declare,
    post_internal,
    table_rows,
    wait_until_caught_up,
)
from tests.integration.projector.test_projector_health import gauge

NUL = "\x00"
ESCAPED = NUL_REPLACEMENT


async def append_changed(store: EventStore, incident: Incident, **changes: Any) -> int:
    """Append the incident's pending events with fields changed, as an older version that did
    not check its input could have stored them (no API, no aggregate rules)."""
    events = [dataclasses.replace(e, **changes) for e in incident.collect_events()]
    return await store.append(events)


async def append_poisoned_story(store: EventStore) -> tuple[Incident, Incident]:
    """Incident 1 declared with a NUL in its title and an update with NUL in its body, then
    more of incident 1 and an incident 2 after it; returns both incidents."""
    first = declare(1)
    await append_changed(store, first, title=f"Checkout{NUL}500s", services=[f"check{NUL}out"])
    post_internal(first, 1)
    await append_changed(store, first, body=f"a{NUL}b")
    post_internal(first, 2, prefix="after")
    await store.append(first.collect_events())
    second = declare(2)
    post_internal(second, 2)
    await store.append(second.collect_events())
    return first, second


async def append_orphan(store: EventStore, number: int) -> Incident:
    """Events of an incident whose Declared is not in the log: nothing can fold them."""
    orphan = declare(number)
    post_internal(orphan, 2, prefix="orphan")
    await store.append(orphan.collect_events()[1:])
    return orphan


async def test_text_with_nul_is_projected_escaped_and_the_projector_goes_on(
    start_api: ApiFactory, store: EventStore, pool: asyncpg.Pool, make_token: TokenFactory
) -> None:
    first, second = await append_poisoned_story(store)
    reader = bearer(await make_token("viewer", Scope.READ))

    async with start_api(projector={}) as api:
        head = await wait_until_caught_up(pool, store, within=15)
        timeline = await api.get(
            f"/v1/incidents/{first.id}/timeline", params={"min_position": head}, headers=reader
        )
        listed = await api.get("/v1/incidents", params={"min_position": head}, headers=reader)
        detail = await api.get(f"/v1/incidents/{first.id}", headers=reader)
        ready = (await api.get("/readyz")).json()

    assert timeline.status_code == 200, timeline.text
    items = timeline.json()["items"]
    assert detail.json()["title"] == f"Checkout{ESCAPED}500s"
    assert items[0]["data"]["services"] == [f"check{ESCAPED}out"]
    assert [i["version"] for i in items] == [1, 2, 3, 4]
    assert items[1]["data"]["body"] == f"a{ESCAPED}b"
    assert f"a{ESCAPED}b" in items[1]["summary"]
    assert listed.status_code == 200
    assert sorted(i["number"] for i in listed.json()["items"]) == [1, 2]
    incidents, rows, _ = await table_rows(pool)
    assert {r["id"]: r["version"] for r in incidents} == {first.id: 4, second.id: 3}
    assert [r["services"] for r in incidents if r["id"] == first.id] == [[f"check{ESCAPED}out"]]
    assert len(rows) == 7
    assert ready["status"] == "ready"
    assert await pool.fetchval("SELECT count(*) FROM irm_parked_events") == 0


async def test_a_rebuild_passes_text_with_nul_and_builds_what_the_projector_built(
    store: EventStore, pool: asyncpg.Pool, projector_settings: ProjectorSettings
) -> None:
    await append_poisoned_story(store)
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    await Projector(pool, projector_settings.cadence()).handle(log)
    live = await table_rows(pool)

    result = await rebuild_read_models(pool, store, projector_settings.cadence(), batch_size=3)

    assert (result.events, result.incidents, result.position) == (7, 2, log[-1].position)
    assert await table_rows(pool) == live
    titles = {r["number"]: r["title"] for r in live[0]}
    assert titles[1] == f"Checkout{ESCAPED}500s"


async def test_an_unprojectable_event_is_parked_counted_and_passed(
    start_api: ApiFactory, store: EventStore, pool: asyncpg.Pool
) -> None:
    before = declare(1)
    await store.append(before.collect_events())
    orphan = await append_orphan(store, 2)
    after = declare(3)
    post_internal(after, 1)
    await store.append(after.collect_events())
    orphan_positions = [e.position for e in await store.read_stream(orphan.id)]

    async with start_api(projector={}) as api:
        head = await wait_until_caught_up(pool, store, within=15)
        ready = await api.get("/readyz")
        exposition = (await api.get("/metrics")).text

    incidents, timeline, _ = await table_rows(pool)
    assert sorted(r["number"] for r in incidents) == [1, 3]
    assert [r["incident_id"] for r in timeline] == [before.id, after.id, after.id]
    assert await tracked_position(pool, PROJECTOR_NAME) == head
    parked = await pool.fetch(
        "SELECT follower, position, originator_id, originator_version, topic, error "
        "FROM irm_parked_events ORDER BY position"
    )
    assert [(r["follower"], r["position"]) for r in parked] == [
        (PROJECTOR_NAME, p) for p in orphan_positions
    ]
    assert {r["originator_id"] for r in parked} == {orphan.id}
    assert [r["originator_version"] for r in parked] == [2, 3]
    assert all("before Declared" in r["error"] for r in parked)
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["parked_events"] == {PROJECTOR_NAME: 2}
    assert gauge(exposition, f'irm_follower_parked_events{{follower="{PROJECTOR_NAME}"}}') == 2


async def test_one_batch_with_an_unprojectable_event_applies_all_the_others(
    store: EventStore, pool: asyncpg.Pool, projector_settings: ProjectorSettings
) -> None:
    first = declare(1)
    post_internal(first, 2)
    await store.append(first.collect_events())
    await append_orphan(store, 2)
    post_internal(first, 2, prefix="later")
    await store.append(first.collect_events())
    log = await store.read_log(after=0, limit=WHOLE_LOG)
    projector = Projector(pool, projector_settings.cadence())

    assert await projector.handle(log) == log[-1].position
    # Handled again, nothing changes and nothing is parked twice.
    once = await table_rows(pool)
    assert await projector.handle(log) == log[-1].position

    incidents, timeline, _ = await table_rows(pool)
    assert (incidents, timeline) == once[:2]
    assert [(r["number"], r["version"]) for r in incidents] == [(1, 5)]
    assert [r["version"] for r in timeline] == [1, 2, 3, 4, 5]
    assert await pool.fetchval("SELECT count(*) FROM irm_parked_events") == 2

    # A rebuild parks the same events, builds the same read models, and replaces the list.
    await pool.execute("UPDATE irm_parked_events SET error = 'stale'")
    result = await rebuild_read_models(pool, store, projector_settings.cadence(), batch_size=2)

    assert await table_rows(pool) == once
    assert (result.events, result.parked) == (len(log), 2)
    errors = await pool.fetch("SELECT error FROM irm_parked_events WHERE follower = 'projector'")
    assert len(errors) == 2
    assert all("before Declared" in r["error"] for r in errors)
