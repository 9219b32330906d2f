"""Follow-ups honestly counted, over HTTP (issue 11): each follow-up carries its first due date
and how often it moved, /v1/follow-ups names the incident by reference and title, and on time is
measured against the first due date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.conftest import Headers
from tests.api.test_postmortem import review_command


async def test_a_moved_follow_up_keeps_its_first_due_date_and_a_late_one_is_not_on_time(
    client: httpx.AsyncClient, alice: Headers, dave: Headers, incident: dict[str, Any]
) -> None:
    today = datetime.now(tz=UTC).date()
    first, later = (today - timedelta(days=3)).isoformat(), (today + timedelta(days=7)).isoformat()
    response = await client.post(
        f"/v1/incidents/{incident['id']}/resolve",
        json={"resolution": "restored", "summary": "rolled back"},
        headers=alice,
    )
    assert response.status_code == 200, response.text
    state = await review_command(client, alice, response.json(), "", {"facilitator": "dave"})
    state = await review_command(
        client,
        dave,
        state,
        "/follow-ups",
        {"title": "Alert at 80% pool use", "owner": "bob", "due_date": first},
    )
    follow_up_id = state["follow_up_id"]
    state = await review_command(
        client,
        dave,
        state,
        f"/follow-ups/{follow_up_id}/due-date",
        {"due_date": later, "reason": "waits for the metrics pipeline"},
    )
    state = await review_command(
        client, dave, state, f"/follow-ups/{follow_up_id}/complete", {"note": "alert on"}
    )

    (in_review,) = state["review"]["follow_ups"]
    assert (in_review["original_due_date"], in_review["due_date"]) == (first, later)
    assert in_review["due_date_changes"] == 1
    listed = await client.get(
        "/v1/follow-ups", params={"min_position": state["position"]}, headers=alice
    )
    assert listed.status_code == 200, listed.text
    (item,) = [i for i in listed.json()["items"] if i["id"] == follow_up_id]
    assert {
        k: item[k]
        for k in (
            "incident_reference",
            "incident_title",
            "title",
            "owner",
            "due_date",
            "original_due_date",
            "due_date_changes",
            "status",
        )
    } == {
        "incident_reference": incident["reference"],
        "incident_title": incident["title"],
        "title": "Alert at 80% pool use",
        "owner": "bob",
        "due_date": later,
        "original_due_date": first,
        "due_date_changes": 1,
        "status": "done",
    }
    metrics = await client.get(
        "/v1/metrics/incidents", params={"min_position": state["position"]}, headers=alice
    )
    assert metrics.status_code == 200, metrics.text
    follow_ups = metrics.json()["follow_ups"]
    # Completed today, after its first due date three days ago: late, though before the new one.
    assert (follow_ups["completed"], follow_ups["completed_on_time"]) == (1, 0)
