"""GET /v1/incidents: each filter, alone and combined, over incidents with known facts."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import EventStore
from tests.integration.projector.conftest import (
    ApiFactory,
    Headers,
    append_at,
    assert_problem,
    numbers,
    wait_for,
)

BASE = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def minute(n: float) -> datetime:
    """n minutes after BASE."""
    return BASE + timedelta(minutes=n)


def declare(
    number: int, title: str, *, owner: str, severity: str | None, services: list[str]
) -> Incident:
    """Declare as `owner` (so the owner acts as IC); the event is left pending."""
    return Incident.declare(
        actor=Actor(owner),
        number=number,
        title=title,
        criteria=["production_workloads_affected"],
        severity=severity,
        services=services,
    )


def ic(incident: Incident) -> Actor:
    """The incident's acting commander."""
    return Actor(incident.acting_commander)


async def seven_incidents(store: EventStore) -> int:
    """The incidents the filter tests look for, one declared per minute; returns the head."""
    one = declare(
        1, "Checkout 500s", owner="alice", severity="P1", services=["checkout", "payments"]
    )
    await append_at(store, one, minute(0))
    two = declare(2, "Search slow", owner="bob", severity="P3", services=["search"])
    await append_at(store, two, minute(1))
    three = declare(3, "100% CPU on db-1", owner="alice", severity="P2", services=["db"])
    await append_at(store, three, minute(2))
    four = declare(4, "1000 errors per second", owner="carol", severity="P2", services=["checkout"])
    await append_at(store, four, minute(3))
    five = declare(5, "disk_full on db-2", owner="alice", severity=None, services=["db"])
    await append_at(store, five, minute(4))
    six = declare(6, "diskXfull on cache", owner="dave", severity="P4", services=[])
    await append_at(store, six, minute(5))
    seven = declare(7, "Login | SSO broken", owner="bob", severity="P1", services=["auth"])
    await append_at(store, seven, minute(6))

    one.assign_role(ic(one), role="incident_commander", assignee="bob", note=None)
    await append_at(store, one, minute(10))
    two.assign_role(ic(two), role="communications_lead", assignee="carol", note=None)
    two.resolve(ic(two), resolution="restored", summary="reindexed")
    await append_at(store, two, minute(11))
    three.assign_role(ic(three), role="incident_commander", assignee="dave", note=None)
    three.assign_role(ic(three), role="operations_lead", assignee="bob", note=None)
    three.resolve(ic(three), resolution="mitigated", summary="throttled")
    three.close(ic(three))
    await append_at(store, three, minute(12))
    seven.assign_role(ic(seven), role="incident_commander", assignee="alice", note=None)
    seven.resolve(ic(seven), resolution="restored", summary="cert renewed")
    seven.reopen(ic(seven), reason="still failing")
    return await append_at(store, seven, minute(13))


@pytest_asyncio.fixture(loop_scope="session")
async def listed(client: httpx.AsyncClient, store: EventStore) -> tuple[httpx.AsyncClient, int]:
    """The API over the seven incidents, and the position that includes them all."""
    return client, await seven_incidents(store)


async def find(listed: tuple[httpx.AsyncClient, int], headers: Headers, **query: Any) -> list[int]:
    """Numbers of the incidents the list answers for `query`, sorted by number."""
    client, position = listed
    response = await client.get(
        "/v1/incidents",
        params={"min_position": position, "limit": 200, **query},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return sorted(numbers(response.json()["items"]))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [1, 2, 3, 4, 5, 6, 7]),
        ({"status": "open"}, [1, 4, 5, 6, 7]),
        ({"status": "resolved"}, [2]),
        ({"status": "closed"}, [3]),
        ({"severity": "P1"}, [1, 7]),
        ({"severity": "P2"}, [3, 4]),
        ({"severity": "P4"}, [6]),
        ({"owner": "alice"}, [1, 3, 5]),
        ({"owner": "nobody"}, []),
        # A role holder, or the acting commander: the owner while no IC is named.
        ({"role_holder": "bob"}, [1, 2, 3]),  # IC of 1, owner of 2 (no IC), ops lead of 3
        ({"role_holder": "alice"}, [5, 7]),  # owner of 5 (no IC), IC of 7; not 1, 3 (IC named)
        ({"role_holder": "carol"}, [2, 4]),  # comms lead of 2, owner of 4 (no IC)
        ({"service": "checkout"}, [1, 4]),
        ({"service": "db"}, [3, 5]),
        ({"declared_since": minute(2).isoformat()}, [3, 4, 5, 6, 7]),
        ({"declared_until": minute(4).isoformat()}, [1, 2, 3, 4]),
        ({"declared_since": "2026-01-10T10:02:00+01:00"}, [3, 4, 5, 6, 7]),
        (
            {"declared_since": minute(2).isoformat(), "declared_until": minute(4).isoformat()},
            [3, 4],
        ),
        ({"q": "100%"}, [3]),
        ({"q": "%"}, [3]),
        ({"q": "disk_full"}, [5]),
        ({"q": "_"}, [5]),
        ({"q": "DISK"}, [5, 6]),
        ({"q": "|"}, [7]),
        ({"q": "errors per"}, [4]),
        ({"status": "open", "owner": "alice"}, [1, 5]),
        ({"status": "open", "service": "db", "severity": "P2"}, []),
        ({"update_overdue": "true"}, [1, 4, 6, 7]),  # open, classified, due long ago
        ({"update_overdue": "false"}, [2, 3, 5]),
    ],
)
async def test_each_filter_narrows_the_list(
    listed: tuple[httpx.AsyncClient, int],
    reader: Headers,
    query: dict[str, Any],
    expected: list[int],
) -> None:
    assert await find(listed, reader, **query) == expected


async def test_listed_items_carry_what_a_dashboard_shows(
    listed: tuple[httpx.AsyncClient, int], reader: Headers
) -> None:
    client, position = listed
    response = await client.get(
        "/v1/incidents", params={"min_position": position, "q": "SSO"}, headers=reader
    )

    (item,) = response.json()["items"]
    assert item["reference"] == "INC-7"
    assert item["status"] == "open"
    assert item["roles"] == {"incident_commander": "alice"}
    assert item["acting_commander"] == "alice"
    assert item["reopen_count"] == 1
    assert item["update_overdue"] is True
    assert item["declared_at"] == "2026-01-10T09:06:00Z"
    assert item["next_customer_update_due"] == "2026-01-10T09:13:03Z"  # reopen + 3 s (P1)
    assert item["version"] == 4
    assert item["position"] == position


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"severity": "P5"}, "severity"),
        ({"sort": "title"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"declared_since": "yesterday"}, "declared_since"),
        ({"declared_since": "2026-01-10T09:00:00"}, "declared_since"),  # no time zone
        ({"declared_until": "2026-01-10T09:00:00"}, "declared_until"),
    ],
)
async def test_bad_query_parameters_are_refused(
    client: httpx.AsyncClient, reader: Headers, query: dict[str, Any], field: str
) -> None:
    response = await client.get("/v1/incidents", params=query, headers=reader)

    assert_problem(response, 422, "validation-error", field=field)


# --- update_overdue as time passes ----------------------------------------------------------


async def test_an_incident_becomes_overdue_when_its_customer_update_is_late(
    start_api: ApiFactory, root: Headers
) -> None:
    cadence = {"update_cadence": "P1=1s,P2=1h,P3=1h,P4=1h"}
    async with start_api(projector=cadence) as api:
        declared = {}
        for severity in ("P1", "P2", None):
            response = await api.post(
                "/v1/incidents",
                json={
                    "title": f"{severity}",
                    "criteria": ["customer_sla_at_risk"],
                    "severity": severity,
                },
                headers=root,
            )
            declared[severity] = response.json()
        position = declared[None]["position"]

        async def overdue() -> list[int]:
            response = await api.get(
                "/v1/incidents",
                params={"update_overdue": "true", "min_position": position},
                headers=root,
            )
            return numbers(response.json()["items"])

        # P1 is due one second after its declaration; the others not for an hour.
        await wait_for(
            lambda: _nonempty(overdue()), within=20, what="the P1 incident to become overdue"
        )
        overdue_now = await overdue()
        not_overdue = await api.get(
            "/v1/incidents",
            params={"update_overdue": "false", "min_position": position},
            headers=root,
        )
        p1 = await api.get(f"/v1/incidents/{declared['P1']['id']}", headers=root)

    assert overdue_now == [declared["P1"]["number"]]
    assert sorted(numbers(not_overdue.json()["items"])) == sorted(
        [declared["P2"]["number"], declared[None]["number"]]
    )
    assert p1.json()["update_overdue"] is True


async def _nonempty(items: Awaitable[list[int]]) -> bool:
    return bool(await items)
