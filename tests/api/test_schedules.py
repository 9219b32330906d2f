"""On-call schedules over HTTP (issue 12): defined by an admin, overridden by writers, asked
who is on call by anyone; DST-correct in Europe/Berlin and America/New_York; the past stays
as it was after later edits; shifts as JSON and as iCalendar; bad input changes nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
from icalendar import Calendar

from tests.api.conftest import Headers
from tests.problems import assert_problem


def layer(**fields: Any) -> dict[str, Any]:
    """A daily layer handing over at 09:00, alice then bob, from 2027-01-04 09:00 Berlin."""
    return {
        "start": "2027-01-04T09:00:00+01:00",
        "rotation": "P1D",
        "handoff_time": "09:00",
        "participants": ["alice", "bob"],
        **fields,
    }


async def create(client: httpx.AsyncClient, root: Headers, **fields: Any) -> dict[str, Any]:
    """POST a schedule (sre-primary, Berlin, one layer, with `fields` changed); the 201's body."""
    body = {"name": "sre-primary", "time_zone": "Europe/Berlin", "layers": [layer()], **fields}
    response = await client.post("/v1/schedules", json=body, headers=root)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/schedules/{response.json()['id']}"
    created: dict[str, Any] = response.json()
    return created


async def on_call(
    client: httpx.AsyncClient, headers: Headers, schedule: dict[str, Any], at: str
) -> dict[str, Any]:
    """GET …/on-call?at=."""
    response = await client.get(
        f"/v1/schedules/{schedule['id']}/on-call", params={"at": at}, headers=headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_who_is_on_call_answers_in_the_shape_of_the_issue(
    client: httpx.AsyncClient, root: Headers, carol: Headers
) -> None:
    schedule = await create(client, root)

    answer = await on_call(client, carol, schedule, "2027-01-05T03:12:00+01:00")
    read = await client.get(f"/v1/schedules/{schedule['id']}", headers=carol)
    listed = await client.get("/v1/schedules", headers=carol)

    assert answer == {
        "at": "2027-01-05T02:12:00Z",
        "people": ["alice"],
        "shift": {"start": "2027-01-04T08:00:00Z", "end": "2027-01-05T08:00:00Z"},
    }
    assert read.json() == schedule
    assert schedule["layers"] == [
        {
            "start": "2027-01-04T08:00:00Z",
            "rotation": "P1D",
            "handoff_time": "09:00",
            "participants": ["alice", "bob"],
            "restrictions": [],
        }
    ]
    assert (schedule["version"], schedule["created_by"], schedule["overrides"]) == (1, "root", [])
    assert [s["id"] for s in listed.json()["items"]] == [schedule["id"]]


async def test_berlin_the_night_of_each_dst_change_is_a_23_and_a_25_hour_shift(
    client: httpx.AsyncClient, root: Headers
) -> None:
    schedule = await create(client, root)

    spring = await on_call(client, root, schedule, "2027-03-28T01:30:00+01:00")
    autumn = await on_call(client, root, schedule, "2027-10-31T02:30:00+01:00")

    # 09:00 local on both sides: CET (+01:00) before, CEST (+02:00) after, and back.
    assert spring["shift"] == {"start": "2027-03-27T08:00:00Z", "end": "2027-03-28T07:00:00Z"}
    assert autumn["shift"] == {"start": "2027-10-30T07:00:00Z", "end": "2027-10-31T08:00:00Z"}


async def test_new_york_shifts_hand_over_at_nine_local_across_both_changes(
    client: httpx.AsyncClient, root: Headers
) -> None:
    schedule = await create(
        client,
        root,
        time_zone="America/New_York",
        layers=[layer(start="2027-03-01T09:00:00-05:00", participants=["alice", "bob", "dave"])],
    )

    march = await client.get(
        f"/v1/schedules/{schedule['id']}/shifts",
        params={"since": "2027-03-13T12:00:00-05:00", "until": "2027-03-15T09:00:00-04:00"},
        headers=root,
    )
    november = await client.get(
        f"/v1/schedules/{schedule['id']}/shifts",
        params={"since": "2027-11-06T12:00:00-04:00", "until": "2027-11-07T09:00:00-05:00"},
        headers=root,
    )

    assert march.status_code == 200, march.text
    assert [(s["start"], s["end"]) for s in march.json()["items"]] == [
        ("2027-03-13T14:00:00Z", "2027-03-14T13:00:00Z"),  # 23 hours
        ("2027-03-14T13:00:00Z", "2027-03-15T13:00:00Z"),
    ]
    assert [s["people"] for s in march.json()["items"]] == [["alice"], ["bob"]]
    assert [(s["start"], s["end"]) for s in november.json()["items"]] == [
        ("2027-11-06T13:00:00Z", "2027-11-07T14:00:00Z"),  # 25 hours
    ]


async def test_an_override_takes_precedence_for_its_interval_only(
    client: httpx.AsyncClient, root: Headers, dave: Headers
) -> None:
    schedule = await create(client, root)

    added = await client.post(
        f"/v1/schedules/{schedule['id']}/overrides",
        json={
            "person": "dave",
            "start": "2027-01-05T12:00:00+01:00",
            "end": "2027-01-05T14:00:00+01:00",
        },
        headers=dave,
    )
    during = await on_call(client, root, schedule, "2027-01-05T13:00:00+01:00")
    after = await on_call(client, root, schedule, "2027-01-05T15:00:00+01:00")
    read = await client.get(f"/v1/schedules/{schedule['id']}", headers=root)

    assert added.status_code == 201, added.text
    assert (added.json()["person"], added.json()["created_by"]) == ("dave", "dave")
    assert during == {
        "at": "2027-01-05T12:00:00Z",
        "people": ["dave"],
        "shift": {"start": "2027-01-05T11:00:00Z", "end": "2027-01-05T13:00:00Z"},
    }
    assert after["people"] == ["bob"]
    assert after["shift"] == {"start": "2027-01-05T13:00:00Z", "end": "2027-01-06T08:00:00Z"}
    assert read.json()["version"] == 2
    assert [o["id"] for o in read.json()["overrides"]] == [added.json()["id"]]


async def test_an_edit_changes_who_is_on_call_from_then_on_and_never_before(
    client: httpx.AsyncClient, root: Headers
) -> None:
    # A layer that began in the past; asked about the moment it was created, after an edit.
    schedule = await create(
        client, root, layers=[layer(start="2026-01-01T09:00:00+01:00", participants=["alice"])]
    )
    created = schedule["created_at"]

    changed = await client.patch(
        f"/v1/schedules/{schedule['id']}",
        json={"layers": [layer(start="2026-01-01T09:00:00+01:00", participants=["carol"])]},
        headers=root,
    )
    then = await on_call(client, root, schedule, created)
    later = (datetime.fromisoformat(changed.json()["updated_at"]) + timedelta(hours=1)).isoformat()
    now = await on_call(client, root, schedule, later)
    before = await on_call(client, root, schedule, "2026-06-01T12:00:00Z")

    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert then["people"] == ["alice"]
    assert then["shift"]["end"] == changed.json()["updated_at"].replace("+00:00", "Z")
    assert now["people"] == ["carol"]
    # Before the schedule was recorded it put nobody on call, whatever its layers say now.
    assert before == {"at": "2026-06-01T12:00:00Z", "people": [], "shift": None}


async def test_the_calendar_has_one_event_per_shift(
    client: httpx.AsyncClient, root: Headers, carol: Headers
) -> None:
    schedule = await create(client, root)
    window = {"since": "2027-03-26T00:00:00Z", "until": "2027-03-30T00:00:00Z"}

    shifts = await client.get(
        f"/v1/schedules/{schedule['id']}/shifts", params=window, headers=carol
    )
    ics = await client.get(f"/v1/schedules/{schedule['id']}.ics", params=window, headers=carol)

    assert ics.status_code == 200, ics.text
    assert ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    expected = [(s["start"], s["end"], s["people"]) for s in shifts.json()["items"]]
    assert len(expected) == 5
    assert [
        (
            e.decoded("dtstart").isoformat().replace("+00:00", "Z"),
            e.decoded("dtend").isoformat().replace("+00:00", "Z"),
            [str(e["summary"]).rsplit(": ", 1)[1]],
        )
        for e in events
    ] == expected


async def test_refused_input_records_nothing(
    client: httpx.AsyncClient, root: Headers, alice: Headers, carol: Headers, pool: asyncpg.Pool
) -> None:
    schedule = await create(client, root)
    url = f"/v1/schedules/{schedule['id']}"
    stored = await pool.fetchval("SELECT count(*) FROM irm_oncall_events")

    def schedule_with(**fields: Any) -> dict[str, Any]:
        return {"name": "x", "time_zone": "UTC", "layers": [layer()], **fields}

    def override(person: str, end: str = "2027-01-05T13:00:00Z") -> dict[str, Any]:
        return {"person": person, "start": "2027-01-05T12:00:00Z", "end": end}

    async def shifts(since: str, until: str) -> httpx.Response:
        window = {"since": since, "until": until}
        return await client.get(f"{url}/shifts", params=window, headers=root)

    answers = {
        "writer defines": await client.post("/v1/schedules", json=schedule_with(), headers=alice),
        "zone": await client.post(
            "/v1/schedules", json=schedule_with(time_zone="Mars/Olympus"), headers=root
        ),
        "rotation": await client.post(
            "/v1/schedules", json=schedule_with(layers=[layer(rotation="P1M")]), headers=root
        ),
        "nobody": await client.post(
            "/v1/schedules", json=schedule_with(layers=[layer(participants=["eirn"])]), headers=root
        ),
        "far": await client.post(
            "/v1/schedules",
            json=schedule_with(layers=[layer(start="2999-01-01T00:00:00Z")]),
            headers=root,
        ),
        "reader overrides": await client.post(
            f"{url}/overrides", json=override("dave"), headers=carol
        ),
        "backwards": await client.post(
            f"{url}/overrides", json=override("dave", end="2027-01-05T12:00:00Z"), headers=root
        ),
        "unknown override": await client.post(
            f"{url}/overrides", json=override("eirn"), headers=root
        ),
        "null layers": await client.patch(url, json={"layers": None}, headers=root),
    }
    missing = await client.get("/v1/schedules/00000000-0000-4000-8000-000000000000", headers=root)
    backwards_window = await shifts("2027-01-05T00:00:00Z", "2027-01-04T00:00:00Z")
    long_window = await shifts("2027-01-01T00:00:00Z", "2027-06-01T00:00:00Z")
    zoneless = await client.get(f"{url}/on-call", params={"at": "2027-01-05T03:12"}, headers=root)

    assert_problem(answers["writer defines"], 403, "insufficient-scope")
    assert_problem(answers["zone"], 422, "validation-error")
    assert_problem(answers["rotation"], 422, "validation-error")
    problem = assert_problem(answers["nobody"], 422, "unknown-person")
    assert (problem["field"], problem["handle"]) == ("layers[0].participants", "eirn")
    assert_problem(answers["far"], 422, "validation-error")
    assert_problem(answers["reader overrides"], 403, "insufficient-scope")
    assert_problem(answers["backwards"], 422, "validation-error")
    assert_problem(answers["unknown override"], 422, "unknown-person")
    assert_problem(answers["null layers"], 422, "validation-error")
    assert_problem(missing, 404, "schedule-not-found")
    assert_problem(backwards_window, 422, "validation-error")
    assert_problem(long_window, 422, "validation-error")
    assert_problem(zoneless, 422, "validation-error")
    assert await pool.fetchval("SELECT count(*) FROM irm_oncall_events") == stored


async def test_overrides_added_at_once_are_all_recorded(
    client: httpx.AsyncClient, root: Headers, dave: Headers
) -> None:
    schedule = await create(client, root)
    url = f"/v1/schedules/{schedule['id']}/overrides"

    answers = await asyncio.gather(
        *(
            client.post(
                url,
                json={
                    "person": "dave",
                    "start": f"2027-02-{day:02d}T12:00:00Z",
                    "end": f"2027-02-{day:02d}T13:00:00Z",
                },
                headers=dave,
            )
            for day in range(1, 9)
        )
    )
    read = await client.get(f"/v1/schedules/{schedule['id']}", headers=root)

    assert [a.status_code for a in answers] == [201] * 8
    assert read.json()["version"] == 9
    assert {o["id"] for o in read.json()["overrides"]} == {a.json()["id"] for a in answers}


async def test_the_calendar_is_read_only_and_its_window_only_for_the_calendar(
    client: httpx.AsyncClient, root: Headers, pool: asyncpg.Pool
) -> None:
    schedule = await create(client, root)
    url = f"/v1/schedules/{schedule['id']}"
    stored = await pool.fetchval("SELECT count(*) FROM irm_oncall_events")

    patched = await client.patch(f"{url}.ics", json={"name": "renamed"}, headers=root)
    window_on_json = await client.get(url, params={"since": "2027-01-05T00:00:00Z"}, headers=root)
    upper = await client.get(f"/v1/schedules/{schedule['id'].upper()}.ics", headers=root)

    assert_problem(patched, 422, "validation-error")
    assert assert_problem(window_on_json, 422, "validation-error")["field"] == "since"
    assert upper.status_code == 200, upper.text
    assert upper.content.startswith(b"BEGIN:VCALENDAR")
    assert await pool.fetchval("SELECT count(*) FROM irm_oncall_events") == stored
