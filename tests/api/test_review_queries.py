"""Reading reviews across incidents: GET /v1/follow-ups, the review figures of
GET /v1/metrics/incidents, and the review flags of the incident list."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.domain.incident import Incident
from shared.domain.values import Actor
from shared.eventstore.store import EventStore
from tests.api.conftest import Headers, assert_problem, declare
from tests.integration.projector.metrics_answers import NO_FOLLOW_UPS

ALICE, DAVE, ERIN = Actor("alice"), Actor("dave"), Actor("erin")


async def post(
    client: httpx.AsyncClient, headers: Headers, state: dict[str, Any], path: str, body: Any
) -> dict[str, Any]:
    """POST a command on the incident that must succeed; returns the answer."""
    response = await client.post(f"/v1/incidents/{state['id']}{path}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def in_review(client: httpx.AsyncClient, alice: Headers, **declare_changes: Any) -> Any:
    """An incident alice declared, resolved and started the review of (dave facilitates)."""
    state = await declare(client, alice, **declare_changes)
    state = await post(client, alice, state, "/resolve", {"resolution": "restored", "summary": "x"})
    return await post(client, alice, state, "/postmortem", {"facilitator": "dave"})


@dataclasses.dataclass
class FollowUps:
    """Four follow-ups on two incidents, and the position of the last write."""

    ids: dict[str, str]
    incidents: dict[str, str]
    position: int


@pytest_asyncio.fixture(loop_scope="session")
async def follow_ups(client: httpx.AsyncClient, alice: Headers) -> FollowUps:
    """On the first incident: `canary` (bob, due 2020, open: overdue), `alert` (erin, due
    2030, open), `runbook` (bob, due 2025, done); on the second: `backup` (bob, due 2019, open:
    overdue)."""
    first = await in_review(client, alice)
    second = await in_review(client, alice, severity="P1", title="Backups fail")
    ids, incidents, state = {}, {}, {first["id"]: first, second["id"]: second}
    for key, incident, title, owner, due in [
        ("canary", first, "Add a config canary", "bob", "2020-01-01"),
        ("alert", first, "Alert at 80% pool use", "erin", "2030-01-01"),
        ("runbook", first, "Runbook: pool exhaustion", "bob", "2025-06-01"),
        ("backup", second, "Test restores weekly", "bob", "2019-06-01"),
    ]:
        answer = await post(
            client,
            alice,
            state[incident["id"]],
            "/postmortem/follow-ups",
            {"title": title, "owner": owner, "due_date": due, "ticket": f"OPS-{key}"},
        )
        state[incident["id"]] = answer
        ids[key], incidents[key] = answer["follow_up_id"], incident["id"]
    done = await post(
        client,
        alice,
        state[first["id"]],
        f"/postmortem/follow-ups/{ids['runbook']}/complete",
        {"note": "written"},
    )
    return FollowUps(ids, incidents, done["position"])


async def listed(
    client: httpx.AsyncClient, headers: Headers, made: FollowUps, **params: str
) -> list[str]:
    """The keys of the follow-ups GET /v1/follow-ups lists with `params`, in order."""
    response = await client.get(
        "/v1/follow-ups", params={**params, "min_position": made.position}, headers=headers
    )
    assert response.status_code == 200, response.text
    by_id = {v: k for k, v in made.ids.items()}
    return [by_id[item["id"]] for item in response.json()["items"]]


# --- GET /v1/follow-ups -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["backup", "canary", "runbook", "alert"]),  # soonest due first
        ({"status": "open"}, ["backup", "canary", "alert"]),
        ({"status": "done"}, ["runbook"]),
        ({"owner": "bob"}, ["backup", "canary", "runbook"]),
        ({"owner": "erin"}, ["alert"]),
        ({"owner": "nobody"}, []),
        ({"overdue": "true"}, ["backup", "canary"]),  # open and due before today
        ({"overdue": "false"}, ["runbook", "alert"]),  # a done follow-up is never overdue
        ({"status": "open", "owner": "bob", "overdue": "true"}, ["backup", "canary"]),
        ({"status": "done", "overdue": "true"}, []),
        ({"limit": "1"}, ["backup"]),
    ],
)
async def test_follow_ups_across_incidents_filtered(
    client: httpx.AsyncClient,
    carol: Headers,
    follow_ups: FollowUps,
    params: dict[str, str],
    expected: list[str],
) -> None:
    assert await listed(client, carol, follow_ups, **params) == expected


async def test_a_listed_follow_up_says_where_it_stands(
    client: httpx.AsyncClient, carol: Headers, follow_ups: FollowUps
) -> None:
    response = await client.get(
        "/v1/follow-ups",
        params={"status": "done", "min_position": follow_ups.position},
        headers=carol,
    )

    (item,) = response.json()["items"]
    ignored = ("added_at", "completed_at", "incident_reference")
    assert {k: v for k, v in item.items() if k not in ignored} == {
        "id": follow_ups.ids["runbook"],
        "incident_id": follow_ups.incidents["runbook"],
        "incident_title": "Checkout returns 500s",
        "title": "Runbook: pool exhaustion",
        "owner": "bob",
        "due_date": "2025-06-01",
        "original_due_date": "2025-06-01",
        "due_date_changes": 0,
        "ticket": "OPS-runbook",
        "status": "done",
        "overdue": False,
        "completed_by": "alice",
        "completion_note": "written",
    }
    assert item["added_at"] < item["completed_at"]
    assert item["incident_reference"].startswith("INC-")

    overdue_only = await client.get(
        "/v1/follow-ups", params={"overdue": "true", "limit": "1"}, headers=carol
    )
    (overdue,) = overdue_only.json()["items"]
    assert (overdue["status"], overdue["overdue"], overdue["completed_at"]) == ("open", True, None)


async def test_a_reassigned_or_moved_follow_up_is_listed_by_its_new_owner_and_date(
    client: httpx.AsyncClient, alice: Headers, carol: Headers, follow_ups: FollowUps
) -> None:
    incident = {"id": follow_ups.incidents["canary"]}
    canary = follow_ups.ids["canary"]
    await post(
        client, alice, incident, f"/postmortem/follow-ups/{canary}/reassign", {"owner": "erin"}
    )
    moved = await post(
        client,
        alice,
        incident,
        f"/postmortem/follow-ups/{canary}/due-date",
        {"due_date": "2031-01-01", "reason": "after the migration"},
    )
    follow_ups.position = moved["position"]

    assert await listed(client, carol, follow_ups, owner="erin") == ["alert", "canary"]
    assert await listed(client, carol, follow_ups, overdue="true") == ["backup"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"overdue": "maybe"}, "overdue"),
        ({"limit": "0"}, "limit"),
    ],
)
async def test_a_bad_follow_up_filter_is_422_naming_it(
    client: httpx.AsyncClient, carol: Headers, params: dict[str, str], field: str
) -> None:
    response = await client.get("/v1/follow-ups", params=params, headers=carol)

    assert_problem(response, 422, "validation-error", field=field)


async def test_follow_ups_need_a_token(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/follow-ups"), 401, "unauthorized")


# --- the incident list shows the review flags -------------------------------------------------


async def test_the_incident_list_and_detail_show_which_reviews_are_pending(
    client: httpx.AsyncClient, alice: Headers, carol: Headers
) -> None:
    p1 = await in_review(client, alice, severity="P1", title="Backups fail")
    p2 = await declare(client, alice, severity="P2")
    p3 = await declare(client, alice, severity="P3")
    with_cause = await post(client, alice, p1, "/postmortem/root-cause", {"text": "full disk"})
    published = await post(
        client, alice, with_cause, "/postmortem/publish", {"no_follow_up_reason": "disk grown"}
    )

    response = await client.get(
        "/v1/incidents", params={"min_position": published["position"]}, headers=carol
    )

    flags = {
        item["id"]: (item["postmortem_status"], item["postmortem_required"], item["review_pending"])
        for item in response.json()["items"]
    }
    assert flags == {
        p1["id"]: ("published", True, False),
        p2["id"]: ("none", True, True),
        p3["id"]: ("none", False, False),
    }
    detail = await client.get(f"/v1/incidents/{p2['id']}", headers=carol)
    assert (detail.json()["postmortem_required"], detail.json()["review_pending"]) == (True, True)

    pending = await client.get("/v1/incidents", params={"review_pending": "true"}, headers=carol)
    assert [item["id"] for item in pending.json()["items"]] == [p2["id"]]
    done = await client.get("/v1/incidents", params={"review_pending": "false"}, headers=carol)
    assert {item["id"] for item in done.json()["items"]} == {p1["id"], p3["id"]}


# --- GET /v1/metrics/incidents: review figures ------------------------------------------------


def declared(number: int, severity: str, services: list[str]) -> Incident:
    """An incident alice declares, its Declared event pending."""
    return Incident.declare(
        actor=ALICE,
        number=number,
        title=f"Incident {number}",
        criteria=["customer_sla_at_risk"],
        severity=severity,
        services=services,
    )


async def append_at(store: EventStore, incident: Incident, when: datetime) -> int:
    """Append the incident's pending events as if they happened at `when`; returns the position."""
    events = [dataclasses.replace(e, timestamp=when) for e in incident.collect_events()]
    return await store.append(events)


async def test_review_metrics_worked_out_by_hand(
    client: httpx.AsyncClient, store: EventStore, carol: Headers
) -> None:
    today = datetime.now(tz=UTC).date()
    start = datetime.combine(today - timedelta(days=10), datetime.min.time(), tzinfo=UTC)

    def on(days: float) -> datetime:
        return start + timedelta(days=days)

    def due(days: int) -> str:
        return (start + timedelta(days=days)).date().isoformat()

    # A: P1 on checkout and payments, closed, review started and never published: pending.
    # Follow-ups added on day 1: f1 due day 3, done day 3.5 (2.5 days, on its due day);
    # f2 due day 2, done day 5 (4 days, late); f3 due day 4, open: overdue; f4 due in a month.
    a = declared(101, "P1", ["checkout", "payments"])
    await append_at(store, a, on(0))
    a.resolve(ALICE, resolution="restored", summary="fixed")
    a.close(ALICE)
    a.start_postmortem(ALICE, facilitator="dave")
    a.add_contributing_factor(DAVE, text="no canary", category="change")
    a.add_contributing_factor(DAVE, text="late alert", category="detection")
    a.add_contributing_factor(DAVE, text="another change", category="change")
    await append_at(store, a, on(0.5))
    f1 = a.add_follow_up(DAVE, title="f1", owner="erin", due_date=due(3), ticket=None)
    f2 = a.add_follow_up(DAVE, title="f2", owner="erin", due_date=due(2), ticket=None)
    a.add_follow_up(DAVE, title="f3", owner="erin", due_date=due(4), ticket=None)
    far = (today + timedelta(days=30)).isoformat()
    a.add_follow_up(DAVE, title="f4", owner="erin", due_date=far, ticket=None)
    await append_at(store, a, on(1))
    a.complete_follow_up(ERIN, follow_up_id=f1, note=None)
    await append_at(store, a, on(3.5))
    a.complete_follow_up(ERIN, follow_up_id=f2, note=None)
    await append_at(store, a, on(5))
    # B: P2 on checkout, reviewed and published: f5 added day 2, done a day later, on time.
    b = declared(102, "P2", ["checkout"])
    await append_at(store, b, on(1.5))
    b.resolve(ALICE, resolution="mitigated", summary="shifted")
    b.start_postmortem(ALICE, facilitator="dave")
    b.record_root_cause(DAVE, text="bad change")
    b.add_contributing_factor(DAVE, text="skipped review", category="change")
    f5 = b.add_follow_up(DAVE, title="f5", owner="erin", due_date=far, ticket=None)
    await append_at(store, b, on(2))
    b.complete_follow_up(ERIN, follow_up_id=f5, note=None)
    b.publish_postmortem(DAVE, no_follow_up_reason=None)
    await append_at(store, b, on(3))
    # C: P3 on search, no review needed. D: P2 on payments, still open: its review is pending.
    c = declared(103, "P3", ["search"])
    await append_at(store, c, on(4))
    d = declared(104, "P2", ["payments"])
    head = await append_at(store, d, on(6))

    response = await client.get(
        "/v1/metrics/incidents",
        params={
            "since": (start - timedelta(days=1)).isoformat(),
            "until": datetime.now(tz=UTC).isoformat(),
            "min_position": head,
        },
        headers=carol,
    )

    assert response.status_code == 200, response.text
    metrics = response.json()
    assert metrics["incidents"] == 4
    assert metrics["reviews_pending"] == 2  # A (started, unpublished) and D (not started)
    assert metrics["follow_ups"] == {
        "total": 5,
        "completed": 3,
        "completed_on_time": 2,  # f1 and f5; f2 was late
        "on_time_ratio": pytest.approx(2 / 3),
        "open": 2,
        "overdue": 1,  # f3
        "median_days_to_complete": 2.5,  # of 1 (f5), 2.5 (f1) and 4 (f2)
        "cancelled": 0,
    }
    assert metrics["by_service"] == {"checkout": 2, "payments": 2, "search": 1}
    assert metrics["by_factor_category"] == {
        "detection": 1,
        "process": 0,
        "change": 2,  # incidents, not factors: A had two change factors
        "capacity": 0,
        "dependency": 0,
        "other": 0,
    }


async def test_metrics_of_an_empty_window_have_empty_review_figures(
    client: httpx.AsyncClient, carol: Headers
) -> None:
    response = await client.get("/v1/metrics/incidents", headers=carol)

    metrics = response.json()
    assert metrics["reviews_pending"] == 0
    assert metrics["follow_ups"] == NO_FOLLOW_UPS
    assert metrics["by_service"] == {}
    assert set(metrics["by_factor_category"].values()) == {0}
