"""Facts that happened outside the tool, through the API: the impact window (declared, then set
or corrected by the acting IC), timeline entries placed at the moment they tell of, and the
times to detect and to declare in the metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.conftest import Headers, declare, events_of, post, read


def iso(moment: datetime) -> str:
    """RFC 3339 with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def timeline(
    client: httpx.AsyncClient, headers: Headers, incident: dict[str, Any], **more: str
) -> httpx.Response:
    return await client.get(
        f"/v1/incidents/{incident['id']}/timeline",
        params={"min_position": incident["position"]},
        headers={**headers, **more},
    )


async def test_declaring_with_the_impact_window_shows_it_everywhere(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=40)
    detected = started + timedelta(minutes=15)

    incident = await declare(client, alice, started_at=iso(started), detected_at=iso(detected))

    assert (parsed(incident["started_at"]), parsed(incident["detected_at"])) == (started, detected)
    view = (await read(client, alice, incident)).json()
    assert (parsed(view["started_at"]), parsed(view["detected_at"])) == (started, detected)
    (declared,) = await events_of(client, alice, incident["id"])
    assert parsed(declared["data"]["started_at"]) == started


async def test_a_declaration_without_them_leaves_them_null(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice)

    assert (incident["started_at"], incident["detected_at"]) == (None, None)
    view = (await read(client, alice, incident)).json()
    assert (view["started_at"], view["detected_at"]) == (None, None)


async def test_moments_in_the_future_backwards_or_not_rfc_3339_are_422(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    now = datetime.now(UTC)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"started_at": iso(now + timedelta(hours=1))}, "started_at", "domain"),
        (
            {
                "started_at": iso(now - timedelta(minutes=5)),
                "detected_at": iso(now - timedelta(minutes=9)),
            },
            "detected_at",
            "domain",
        ),
        ({"detected_at": "2026-11-26"}, "detected_at", "rfc3339_date_time"),
        ({"detected_at": "2026-11-26T03:00:00"}, "detected_at", "rfc3339_date_time"),
        ({"started_at": 1_700_000_000}, "started_at", "rfc3339_date_time"),
    ]
    for body, field, code in cases:
        response = await client.post(
            "/v1/incidents",
            json={"title": "x", "criteria": ["customer_sla_at_risk"], **body},
            headers=alice,
        )
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert problem["field"] == field, problem
        assert problem["errors"][0]["code"] == code, problem


async def test_the_acting_ic_sets_and_corrects_the_impact_window(
    client: httpx.AsyncClient, alice: Headers, dave: Headers
) -> None:
    incident = await declare(client, alice)
    started = parsed(incident["declared_at"]) - timedelta(minutes=30)
    detected = started + timedelta(minutes=20)

    refused = await post(client, dave, incident, "impact-window", {"started_at": iso(started)})
    assert refused.status_code == 403, refused.text
    answer = await post(
        client,
        alice,
        incident,
        "impact-window",
        {"started_at": iso(started), "detected_at": iso(detected)},
    )
    assert answer.status_code == 200, answer.text
    corrected = await post(
        client,
        alice,
        incident,
        "impact-window",
        {"started_at": iso(started - timedelta(minutes=10))},
    )
    assert corrected.status_code == 200, corrected.text

    body = corrected.json()
    assert parsed(body["started_at"]) == started - timedelta(minutes=10)
    assert parsed(body["detected_at"]) == detected
    view = (await read(client, alice, body)).json()
    assert parsed(view["started_at"]) == started - timedelta(minutes=10)
    events = await events_of(client, alice, incident["id"])
    assert [(e["type"], e["actor"]) for e in events[1:]] == [
        ("ImpactWindowSet", "alice"),
        ("ImpactWindowSet", "alice"),
    ]
    assert parsed(events[2]["data"]["previous_started_at"]) == started

    after = iso(parsed(incident["declared_at"]) + timedelta(seconds=1))
    late = await post(client, alice, incident, "impact-window", {"detected_at": after})
    assert late.status_code == 422, late.text
    assert late.json()["field"] == "detected_at"
    empty = await post(client, alice, incident, "impact-window", {})
    assert empty.status_code == 422, empty.text


async def test_a_backdated_entry_sorts_at_its_moment_marked_added_later(
    client: httpx.AsyncClient, alice: Headers, dave: Headers
) -> None:
    incident = await declare(client, alice)
    declared_at = parsed(incident["declared_at"])
    update = await post(
        client, alice, incident, "updates", {"audience": "internal", "body": "rolling back"}
    )
    assert update.status_code == 200, update.text
    called = declared_at - timedelta(minutes=7)

    added = await post(
        client,
        dave,
        incident,
        "timeline-entries",
        {"occurred_at": iso(called), "text": "customer called support"},
    )

    assert added.status_code == 200, added.text
    response = await timeline(client, alice, added.json())
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["type"], i["added_later"]) for i in items] == [
        ("TimelineEntryAdded", True),
        ("Declared", False),
        ("UpdatePosted", False),
    ]
    entry = items[0]
    assert parsed(entry["occurred_at"]) == called
    assert entry["actor"] == "dave"
    assert entry["version"] == 3
    assert parsed(entry["added_at"]) > parsed(items[2]["occurred_at"])
    assert entry["summary"].startswith("customer called support (added later by dave, ")
    assert all(i["added_at"] is None for i in items[1:])

    markdown = await timeline(client, alice, added.json(), Accept="text/markdown")
    assert markdown.status_code == 200, markdown.text
    rows = [line for line in markdown.text.splitlines() if line.startswith("| 2")]
    assert "customer called support" in rows[0]
    assert "declared INC-" in rows[1]


async def test_any_writer_adds_entries_but_not_in_the_future(
    client: httpx.AsyncClient, alice: Headers, dave: Headers
) -> None:
    incident = await declare(client, alice)

    future = iso(datetime.now(UTC) + timedelta(minutes=5))
    refused = await post(
        client, dave, incident, "timeline-entries", {"occurred_at": future, "text": "later"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "occurred_at"
    blank = await post(
        client,
        dave,
        incident,
        "timeline-entries",
        {"occurred_at": iso(datetime.now(UTC)), "text": " "},
    )
    assert blank.status_code == 422, blank.text
    assert blank.json()["field"] == "text"


async def test_the_post_mortem_places_backdated_entries_in_its_timeline(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    incident = await declare(client, alice)
    declared_at = parsed(incident["declared_at"])
    for body in (
        {"occurred_at": iso(declared_at - timedelta(minutes=3)), "text": "status page went red"},
    ):
        response = await post(client, alice, incident, "timeline-entries", body)
        assert response.status_code == 200, response.text

    document = await client.get(
        f"/v1/incidents/{incident['id']}/postmortem",
        headers={**alice, "Accept": "text/markdown"},
    )

    assert document.status_code == 200, document.text
    timeline = document.text.split("## Incident timeline\n\n", 1)[1]
    section = timeline.split("\n\n", 1)[0].splitlines()
    assert "status page went red" in section[2]
    assert "declared INC-" in section[3]


async def test_metrics_give_the_times_to_detect_and_to_declare(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    since = iso(datetime.now(UTC) - timedelta(minutes=1))
    now = datetime.now(UTC)
    first = await declare(
        client,
        alice,
        started_at=iso(now - timedelta(minutes=50)),
        detected_at=iso(now - timedelta(minutes=40)),
    )
    second = await declare(client, alice, detected_at=iso(now - timedelta(minutes=20)))
    last = await declare(client, alice)  # neither known: counted in neither

    response = await client.get(
        "/v1/metrics/incidents",
        params={"since": since, "min_position": last["position"]},
        headers=alice,
    )

    assert response.status_code == 200, response.text
    metrics = response.json()
    assert metrics["incidents"] == 3
    # To detect: only the first has both, 10 minutes.
    assert metrics["time_to_detect"] == {
        "count": 1,
        "mean_seconds": 600.0,
        "median_seconds": 600.0,
        "p90_seconds": 600.0,
    }
    # To declare: from each detection to its declaration (the server's clock).
    spans = sorted(
        (parsed(i["declared_at"]) - parsed(i["detected_at"])).total_seconds()
        for i in (first, second)
    )
    declare_stats = metrics["time_to_declare"]
    assert declare_stats["count"] == 2
    assert declare_stats["mean_seconds"] == sum(spans) / 2
    assert declare_stats["p90_seconds"] == spans[1]


async def test_a_retried_declare_with_an_impact_window_replays_and_another_window_is_refused(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    started = iso(datetime.now(UTC) - timedelta(minutes=30))
    body = {"title": "x", "criteria": ["customer_sla_at_risk"], "started_at": started}
    headers = {**alice, "Idempotency-Key": "pager-impact-window"}

    first = await client.post("/v1/incidents", json=body, headers=headers)
    again = await client.post("/v1/incidents", json=body, headers=headers)
    other = await client.post(
        "/v1/incidents",
        json={**body, "started_at": iso(datetime.now(UTC) - timedelta(minutes=31))},
        headers=headers,
    )

    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422, other.text
    assert other.json()["type"].endswith("idempotency-key-reused")
