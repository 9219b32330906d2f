"""Correcting the review over HTTP (issue 11): PATCH and DELETE (with a reason) a contributing
factor or a recommendation by its number, cancel a follow-up, amend a published review; bad
input and broken rules are problems that write nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from tests.api.conftest import Headers, assert_problem, events_of, stored_events
from tests.api.test_postmortem import FAR, postmortem, review_command


async def send(
    client: httpx.AsyncClient,
    method: str,
    headers: Headers,
    state: dict[str, Any],
    path: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """Send a review command with any method, whatever it answers."""
    return await client.request(method, postmortem(state, path), json=body, headers=headers)


@pytest_asyncio.fixture(loop_scope="session")
async def reviewed(
    client: httpx.AsyncClient, alice: Headers, dave: Headers, incident: dict[str, Any]
) -> dict[str, Any]:
    """Alice's P2, resolved, under review (dave facilitates), with two factors, two
    recommendations, a root cause and a follow-up for bob (`follow_up_id`)."""
    response = await client.post(
        f"/v1/incidents/{incident['id']}/resolve",
        json={"resolution": "restored", "summary": "rolled back"},
        headers=alice,
    )
    assert response.status_code == 200, response.text
    state = await review_command(client, alice, response.json(), "", {"facilitator": "dave"})
    for path, body in [
        ("/contributing-factors", {"text": "no canary", "category": "change"}),
        ("/contributing-factors", {"text": "alert at 100%", "category": "detection"}),
        ("/recommendations", {"text": "canary config pushes"}),
        ("/recommendations", {"text": "alert at 80%"}),
        ("/root-cause", {"text": "the pool was exhausted"}),
    ]:
        state = await review_command(client, dave, state, path, body)
    follow_up = {"title": "Alert at 80% pool use", "owner": "bob", "due_date": FAR}
    return await review_command(client, dave, state, "/follow-ups", follow_up)


async def test_a_factor_is_edited_and_withdrawn_by_its_number(
    client: httpx.AsyncClient, alice: Headers, dave: Headers, reviewed: dict[str, Any]
) -> None:
    assert reviewed["review"]["contributing_factors"] == [
        {"id": "1", "text": "no canary", "category": "change"},
        {"id": "2", "text": "alert at 100%", "category": "detection"},
    ]

    edited = await send(
        client, "PATCH", dave, reviewed, "/contributing-factors/2", {"category": "capacity"}
    )
    assert edited.status_code == 200, edited.text
    withdrawn = await send(
        client, "DELETE", dave, edited.json(), "/contributing-factors/1", {"reason": "not one"}
    )
    assert withdrawn.status_code == 200, withdrawn.text

    assert withdrawn.json()["review"]["contributing_factors"] == [
        {"id": "2", "text": "alert at 100%", "category": "capacity"}
    ]
    events = await events_of(client, alice, reviewed["id"])
    assert [(e["type"], e["data"]) for e in events[-2:]] == [
        (
            "ContributingFactorEdited",
            {
                "factor_id": "2",
                "text": "alert at 100%",
                "category": "capacity",
                "previous_text": "alert at 100%",
                "previous_category": "detection",
            },
        ),
        (
            "ContributingFactorWithdrawn",
            {"factor_id": "1", "text": "no canary", "category": "change", "reason": "not one"},
        ),
    ]


async def test_a_recommendation_is_edited_and_withdrawn_by_its_number(
    client: httpx.AsyncClient, dave: Headers, reviewed: dict[str, Any]
) -> None:
    assert reviewed["review"]["recommendation_ids"] == ["1", "2"]

    edited = await send(
        client, "PATCH", dave, reviewed, "/recommendations/1", {"text": "canary every push"}
    )
    assert edited.status_code == 200, edited.text
    withdrawn = await send(
        client, "DELETE", dave, edited.json(), "/recommendations/2", {"reason": "in OPS-12"}
    )
    assert withdrawn.status_code == 200, withdrawn.text

    review = withdrawn.json()["review"]
    assert (review["recommendations"], review["recommendation_ids"]) == (
        ["canary every push"],
        ["1"],
    )


async def test_corrections_that_cannot_apply_are_problems_that_write_nothing(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    bob: Headers,
    dave: Headers,
    reviewed: dict[str, Any],
) -> None:
    before = await stored_events(pool)

    unknown = await send(client, "PATCH", dave, reviewed, "/contributing-factors/9", {"text": "x"})
    assert_problem(unknown, 404, "contributing-factor-not-found")
    gone = await send(client, "DELETE", dave, reviewed, "/recommendations/7", {"reason": "x"})
    assert_problem(gone, 404, "recommendation-not-found")
    empty = await send(client, "PATCH", dave, reviewed, "/contributing-factors/1", {})
    assert empty.status_code == 422, empty.text
    same = await send(
        client, "PATCH", dave, reviewed, "/recommendations/1", {"text": "canary config pushes"}
    )
    assert_problem(same, 409, "no-change")
    no_reason = await send(client, "DELETE", dave, reviewed, "/contributing-factors/1", {})
    assert_problem(no_reason, 422, "validation-error", field="reason")
    not_theirs = await send(
        client, "DELETE", bob, reviewed, "/contributing-factors/1", {"reason": "x"}
    )
    assert_problem(not_theirs, 403, "not-incident-authority")

    assert await stored_events(pool) == before


async def test_a_cancelled_follow_up_is_neither_done_nor_open(
    client: httpx.AsyncClient, alice: Headers, dave: Headers, reviewed: dict[str, Any]
) -> None:
    follow_up_id = reviewed["follow_up_id"]

    cancelled = await review_command(
        client, dave, reviewed, f"/follow-ups/{follow_up_id}/cancel", {"reason": "in OPS-9"}
    )

    (follow_up,) = cancelled["review"]["follow_ups"]
    assert (follow_up["status"], follow_up["cancelled_by"], follow_up["cancel_reason"]) == (
        "cancelled",
        "dave",
        "in OPS-9",
    )
    listed = await client.get(
        "/v1/follow-ups", params={"min_position": cancelled["position"]}, headers=alice
    )
    assert listed.status_code == 200, listed.text
    assert [i["status"] for i in listed.json()["items"] if i["id"] == follow_up_id] == ["cancelled"]
    complete = await send(
        client, "POST", dave, cancelled, f"/follow-ups/{follow_up_id}/complete", {}
    )
    assert_problem(complete, 409, "follow-up-cancelled")


async def test_a_published_review_is_amended_before_its_findings_change(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    dave: Headers,
    reviewed: dict[str, Any],
) -> None:
    published = await review_command(client, dave, reviewed, "/publish", {})
    before = await stored_events(pool)
    locked = await send(client, "PATCH", dave, published, "/contributing-factors/1", {"text": "x"})
    assert_problem(locked, 409, "postmortem-published")
    assert await stored_events(pool) == before

    amended = await review_command(
        client, alice, published, "/amend", {"reason": "the root cause was wrong"}
    )
    assert amended["review"]["status"] == "started"
    (amendment,) = amended["review"]["amendments"]
    assert (amendment["by"], amendment["reason"]) == ("alice", "the root cause was wrong")
    corrected = await review_command(
        client, dave, amended, "/root-cause", {"text": "a config push halved the pool"}
    )
    republished = await review_command(client, dave, corrected, "/publish", {})
    assert republished["review"]["status"] == "published"

    document = await client.get(
        postmortem(republished), headers={**alice, "Accept": "text/markdown"}
    )
    assert document.status_code == 200, document.text
    history = document.text.split("## Revision history\n\n", 1)[1].splitlines()
    assert [line.split(": ", 1)[1] for line in history] == [
        "published by dave",
        "amended by alice: the root cause was wrong",
        "published by dave",
    ]


async def test_only_a_published_review_is_amended(
    client: httpx.AsyncClient, pool: asyncpg.Pool, dave: Headers, reviewed: dict[str, Any]
) -> None:
    before = await stored_events(pool)

    response = await send(client, "POST", dave, reviewed, "/amend", {"reason": "x"})

    assert_problem(response, 409, "postmortem-not-published")
    assert await stored_events(pool) == before
