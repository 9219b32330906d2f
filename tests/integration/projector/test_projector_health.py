"""How far the projector lags behind the log, on /readyz and on Prometheus /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import (
    WHOLE_LOG,
    ApiFactory,
    append_at,
    declare,
    post_internal,
    wait_until_caught_up,
)


def gauge(exposition: str, sample: str) -> float:
    """The value of one sample (name and labels) in a Prometheus text exposition."""
    for line in exposition.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    raise AssertionError(f"{sample} is not exposed:\n{exposition}")


async def test_a_stopped_projector_shows_how_far_behind_it_is(
    start_api: ApiFactory,
    pool: asyncpg.Pool,
    store: EventStore,
    projector_settings: ProjectorSettings,
) -> None:
    incident = declare(1)
    post_internal(incident, 4)
    an_hour_ago = datetime.now(tz=UTC) - timedelta(hours=1)
    head = await append_at(store, incident, an_hour_ago)

    async with start_api(projector=None) as api:
        behind = await api.get("/readyz")
        behind_metrics = await api.get("/metrics")
        await Projector(pool, projector_settings.cadence()).handle(
            await store.read_log(after=0, limit=WHOLE_LOG)
        )
        caught_up = await api.get("/readyz")
        caught_up_metrics = await api.get("/metrics")

    assert behind.status_code == 200
    ready = behind.json()
    assert ready["log_position"] == head
    lag = ready["followers"]["projector"]
    assert (lag["position"], lag["behind_events"]) == (0, 5)
    assert lag["behind_seconds"] >= 3600  # the oldest waiting event is an hour old
    text = behind_metrics.text
    assert gauge(text, 'irm_follower_lag_events{follower="projector"}') == 5
    assert gauge(text, 'irm_follower_position{follower="projector"}') == 0
    assert gauge(text, "irm_log_head_position") == head
    assert gauge(text, 'irm_follower_lag_seconds{follower="projector"}') >= 3600

    assert caught_up.json()["followers"]["projector"] == {
        "position": head,
        "behind_events": 0,
        "behind_seconds": 0.0,
    }
    text = caught_up_metrics.text
    assert gauge(text, 'irm_follower_lag_events{follower="projector"}') == 0
    assert gauge(text, 'irm_follower_position{follower="projector"}') == head


async def test_the_running_projector_reports_its_position(
    client: httpx.AsyncClient, pool: asyncpg.Pool, store: EventStore
) -> None:
    incident = declare(1)
    post_internal(incident, 9)
    await store.append(incident.collect_events())
    head = await wait_until_caught_up(pool, store)

    ready = (await client.get("/readyz")).json()
    exposition = (await client.get("/metrics")).text

    assert ready["status"] == "ready"
    assert ready["log_position"] == head
    assert ready["followers"]["projector"]["position"] == head
    assert ready["followers"]["projector"]["behind_events"] == 0
    assert gauge(exposition, 'irm_follower_lag_events{follower="projector"}') == 0
    assert gauge(exposition, 'irm_follower_position{follower="projector"}') == head
