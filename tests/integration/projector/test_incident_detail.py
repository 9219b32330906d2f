"""GET /v1/incidents/{id}: from the read model, as of any past moment, and fresh on request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from services.incident_api.schemas import IncidentRead
from services.projector.projector import Projector
from services.projector.settings import ProjectorSettings
from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import (
    WHOLE_LOG,
    ApiFactory,
    Headers,
    append_at,
    assert_problem,
    declare,
)

START = datetime(2026, 2, 14, 22, 0, tzinfo=UTC)
LONG = 40  # events in the long incident


def the_long_night(incident: Incident) -> list[Callable[[], None]]:
    """Forty commands of a long incident: handovers, reclassification, two reopens, closure."""
    alice, bob, carol, dave = Actor("alice"), Actor("bob"), Actor("carol"), Actor("dave")
    commands: list[Callable[[], None]] = [
        lambda: incident.assign_role(alice, role="incident_commander", assignee="bob", note=None),
        lambda: incident.assign_role(bob, role="communications_lead", assignee="carol", note=None),
        lambda: incident.change_severity(bob, severity="P1", reason="all EU tenants"),
        lambda: incident.assess_impact(bob, impact="Checkout fails", scope="EU"),
        lambda: incident.link_ticket(carol, system="jira", key="OPS-1", url=None),
        lambda: incident.escalate(bob, target="database-team", reason="replica lag"),
    ]
    commands += [
        partial(incident.post_update, carol, audience="customer", body=f"update {n}")
        for n in range(8)
    ]
    commands += [
        lambda: incident.resolve(bob, resolution="restored", summary="failover"),
        lambda: incident.reopen(bob, reason="errors are back"),
        lambda: incident.assign_role(bob, role="incident_commander", assignee="dave", note="EOS"),
        lambda: incident.change_severity(dave, severity="P2", reason="contained"),
    ]
    commands += [
        partial(incident.post_update, dave, audience="internal", body=f"note {n}")
        for n in range(10)
    ]
    commands += [
        lambda: incident.link_ticket(carol, system="zendesk", key="77", url=None),
        lambda: incident.resolve(dave, resolution="workaround", summary="flag off"),
        lambda: incident.reopen(dave, reason="flag flipped back"),
        lambda: incident.assess_impact(dave, impact="Slow checkout", scope="EU, some US"),
    ]
    commands += [
        partial(incident.post_update, carol, audience="customer", body=f"later {n}")
        for n in range(5)
    ]
    commands += [
        lambda: incident.resolve(dave, resolution="mitigated", summary="capacity added"),
        lambda: incident.close(dave),
    ]
    return commands


async def long_incident(store: EventStore) -> tuple[Incident, list[datetime]]:
    """An incident of LONG events, one a minute from START, each command its own append."""
    incident = declare(1)
    times = [START]
    await append_at(store, incident, START)
    for command in the_long_night(incident):
        command()
        times.append(START + timedelta(minutes=len(times)))
        await append_at(store, incident, times[-1])
    assert incident.version == len(times) == LONG
    return incident, times


def state_after(events: list[Any], k: int) -> dict[str, Any]:
    """The incident after its first k events, as the API would show it."""
    aggregate = None
    for recorded in events[:k]:
        aggregate = recorded.event.mutate(aggregate)
    assert isinstance(aggregate, Incident)
    return IncidentRead.of(aggregate).model_dump(mode="json")


async def test_as_of_shows_the_incident_exactly_as_it_stood(
    client: httpx.AsyncClient, store: EventStore, reader: Headers
) -> None:
    incident, times = await long_incident(store)
    events = await store.read_stream(incident.id)
    assert len(events) == LONG

    for k in (1, 2, 3, 7, 15, 16, 17, 20, 31, 39, 40):
        for moment in (times[k - 1], times[k - 1] + timedelta(seconds=59)):
            response = await client.get(
                f"/v1/incidents/{incident.id}",
                params={"as_of": moment.isoformat()},
                headers=reader,
            )
            assert response.status_code == 200, response.text
            assert response.json() == state_after(events, k), f"as of event {k}"
            assert response.headers["ETag"] == f'"{k}"'


async def test_as_of_in_another_zone_means_the_same_moment(
    client: httpx.AsyncClient, store: EventStore, reader: Headers
) -> None:
    incident, times = await long_incident(store)
    events = await store.read_stream(incident.id)
    tokyo = times[4].astimezone(ZoneInfo("Asia/Tokyo"))

    response = await client.get(
        f"/v1/incidents/{incident.id}", params={"as_of": tokyo.isoformat()}, headers=reader
    )

    assert response.json() == state_after(events, 5)


async def test_as_of_before_the_declaration_is_not_found(
    client: httpx.AsyncClient, store: EventStore, reader: Headers
) -> None:
    incident, _ = await long_incident(store)

    response = await client.get(
        f"/v1/incidents/{incident.id}",
        params={"as_of": (START - timedelta(seconds=1)).isoformat()},
        headers=reader,
    )

    assert_problem(response, 404, "incident-not-found")


async def test_as_of_needs_a_time_zone(client: httpx.AsyncClient, reader: Headers) -> None:
    response = await client.get(
        f"/v1/incidents/{uuid.uuid4()}", params={"as_of": "2026-02-14T22:00:00"}, headers=reader
    )

    assert_problem(response, 422, "validation-error", field="as_of")


async def test_the_detail_comes_from_the_read_model(
    client: httpx.AsyncClient, root: Headers, reader: Headers
) -> None:
    declared = await client.post(
        "/v1/incidents",
        json={
            "title": "Queue backlog",
            "criteria": ["service_stability_at_risk"],
            "severity": "P3",
        },
        headers=root,
    )
    incident = declared.json()
    update = await client.post(
        f"/v1/incidents/{incident['id']}/updates",
        json={"audience": "customer", "body": "We are on it"},
        headers=root,
    )
    position = update.json()["position"]

    response = await client.get(
        f"/v1/incidents/{incident['id']}", params={"min_position": position}, headers=reader
    )

    assert response.status_code == 200, response.text
    view = response.json()
    assert response.headers["ETag"] == '"2"'
    assert view["position"] == position
    assert view["reference"] == incident["reference"]
    assert view["last_customer_update_at"] == update.json()["updated_at"]
    due = datetime.fromisoformat(view["last_customer_update_at"]) + timedelta(seconds=12)  # P3
    assert datetime.fromisoformat(view["next_customer_update_due"]) == due


async def test_an_unknown_incident_is_not_found(client: httpx.AsyncClient, reader: Headers) -> None:
    response = await client.get(f"/v1/incidents/{uuid.uuid4()}", headers=reader)

    assert_problem(response, 404, "incident-not-found")


# --- read your own writes -------------------------------------------------------------------


async def test_a_query_waits_until_the_projector_has_passed_its_position(
    start_api: ApiFactory,
    store: EventStore,
    pool: asyncpg.Pool,
    projector_settings: ProjectorSettings,
    reader: Headers,
) -> None:
    incident = declare(1)
    position = await store.append(incident.collect_events())
    async with start_api(projector=None, read_wait_seconds=30) as api:
        waiting = asyncio.create_task(
            api.get(
                f"/v1/incidents/{incident.id}",
                params={"min_position": position},
                headers=reader,
            )
        )
        await asyncio.sleep(0.2)
        assert not waiting.done(), "answered before the read model had the incident"
        await Projector(pool, projector_settings.cadence()).handle(
            await store.read_log(after=0, limit=WHOLE_LOG)
        )
        response = await asyncio.wait_for(waiting, timeout=30)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(incident.id)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/incidents",
        "/v1/incidents/{id}",
        "/v1/incidents/{id}/timeline",
        "/v1/metrics/incidents",
    ],
)
async def test_a_position_the_projector_cannot_reach_in_time_is_a_503(
    start_api: ApiFactory, store: EventStore, reader: Headers, path: str
) -> None:
    incident = declare(1)
    position = await store.append(incident.collect_events())
    # No projector runs: the position is in the log, but the read models never reach it. (A
    # position beyond the end of the log is 400 position-beyond-log at once: tests/api.)
    async with start_api(projector=None, read_wait_seconds=0.2) as api:
        response = await api.get(
            path.format(id=incident.id), params={"min_position": position}, headers=reader
        )

    problem = assert_problem(response, 503, "read-model-behind")
    assert response.headers["Retry-After"] == "1"
    assert (problem["projected_position"], problem["min_position"]) == (0, position)


async def test_a_reached_position_answers_at_once_on_every_query(
    client: httpx.AsyncClient, root: Headers, reader: Headers
) -> None:
    declared = await client.post(
        "/v1/incidents", json={"title": "t", "criteria": ["customer_sla_at_risk"]}, headers=root
    )
    body = declared.json()
    params = {"min_position": body["position"]}

    for path in (
        "/v1/incidents",
        f"/v1/incidents/{body['id']}",
        f"/v1/incidents/{body['id']}/timeline",
        "/v1/metrics/incidents",
    ):
        response = await client.get(path, params=params, headers=reader)
        assert response.status_code == 200, (path, response.text)


async def test_min_position_must_not_be_negative(
    client: httpx.AsyncClient, reader: Headers
) -> None:
    response = await client.get("/v1/incidents", params={"min_position": -1}, headers=reader)

    assert_problem(response, 422, "validation-error", field="min_position")
