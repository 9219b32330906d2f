"""The post-incident review over HTTP: every command answers the incident's state with its
`review` and `position`; bad input and broken rules are problems that write nothing."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from tests.api.conftest import Headers, assert_problem, declare, events_of, stored_events

FAR = "2030-01-01"


def postmortem(state: dict[str, Any], path: str = "") -> str:
    """The URL of the incident's review, or of one of its commands."""
    return f"/v1/incidents/{state['id']}/postmortem{path}"


async def review_command(
    client: httpx.AsyncClient,
    headers: Headers,
    state: dict[str, Any],
    path: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """Run a review command that must succeed; checks what every command answer shares."""
    response = await client.post(postmortem(state, path), json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert response.headers["ETag"] == f'"{answer["version"]}"'
    assert answer["version"] == state["version"] + 1
    assert answer["position"] > state["position"]
    assert (answer["id"], answer["reference"], answer["status"]) == (
        state["id"],
        state["reference"],
        state["status"],
    )
    return answer


@pytest_asyncio.fixture(loop_scope="session")
async def resolved(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> dict[str, Any]:
    """Alice's P2, resolved by alice (still its acting IC)."""
    response = await client.post(
        f"/v1/incidents/{incident['id']}/resolve",
        json={"resolution": "restored", "summary": "Rolled back the 03:00 config push"},
        headers=alice,
    )
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


@pytest_asyncio.fixture(loop_scope="session")
async def in_review(
    client: httpx.AsyncClient, alice: Headers, resolved: dict[str, Any]
) -> dict[str, Any]:
    """The resolved incident after alice started its review with dave facilitating."""
    return await review_command(client, alice, resolved, "", {"facilitator": "dave"})


@pytest_asyncio.fixture(loop_scope="session")
async def with_follow_up(
    client: httpx.AsyncClient, dave: Headers, in_review: dict[str, Any]
) -> dict[str, Any]:
    """The review after dave added a follow-up for bob; its id is in `follow_up_id`."""
    return await review_command(
        client,
        dave,
        in_review,
        "/follow-ups",
        {"title": "Alert at 80% pool use", "owner": "bob", "due_date": FAR},
    )


# --- every command's happy path ---------------------------------------------------------------


async def test_the_acting_commander_starts_the_review(
    client: httpx.AsyncClient, alice: Headers, resolved: dict[str, Any]
) -> None:
    answer = await review_command(client, alice, resolved, "", {"facilitator": " dave "})

    review = answer["review"]
    assert (review["status"], review["facilitator"], review["required"], review["pending"]) == (
        "started",
        "dave",
        True,
        True,
    )
    assert review["started_at"] == answer["updated_at"]
    assert (review["root_cause"], review["published_at"], review["follow_ups"]) == (
        None,
        None,
        [],
    )
    assert answer["follow_up_id"] is None
    last = (await events_of(client, alice, resolved["id"]))[-1]
    assert (last["type"], last["actor"], last["data"]) == (
        "PostmortemStarted",
        "alice",
        {"facilitator": "dave", "break_glass": False},
    )


async def test_a_root_cause_recorded_again_supersedes_the_first(
    client: httpx.AsyncClient, dave: Headers, in_review: dict[str, Any]
) -> None:
    first = await review_command(client, dave, in_review, "/root-cause", {"text": "DNS"})
    second = await review_command(
        client, dave, first, "/root-cause", {"text": "A config push halved the pool"}
    )

    assert second["review"]["root_cause"] == "A config push halved the pool"
    events = await events_of(client, dave, in_review["id"])
    assert [e["data"]["text"] for e in events if e["type"] == "RootCauseRecorded"] == [
        "DNS",
        "A config push halved the pool",
    ]


async def test_add_a_contributing_factor(
    client: httpx.AsyncClient, dave: Headers, in_review: dict[str, Any]
) -> None:
    answer = await review_command(
        client,
        dave,
        in_review,
        "/contributing-factors",
        {"text": "Config pushes skip the canary", "category": "change"},
    )

    assert answer["review"]["contributing_factors"] == [
        {"id": "1", "text": "Config pushes skip the canary", "category": "change"}
    ]


async def test_add_a_recommendation(
    client: httpx.AsyncClient, alice: Headers, in_review: dict[str, Any]
) -> None:
    answer = await review_command(
        client, alice, in_review, "/recommendations", {"text": "Canary every config push"}
    )

    assert answer["review"]["recommendations"] == ["Canary every config push"]
    assert answer["review"]["recommendation_ids"] == ["1"]


async def test_add_a_follow_up_answers_its_id(
    client: httpx.AsyncClient, dave: Headers, in_review: dict[str, Any]
) -> None:
    answer = await review_command(
        client,
        dave,
        in_review,
        "/follow-ups",
        {"title": "Add a config canary", "owner": "bob", "due_date": FAR, "ticket": "OPS-2001"},
    )

    follow_up_id = answer["follow_up_id"]
    assert str(uuid.UUID(follow_up_id)) == follow_up_id
    (follow_up,) = answer["review"]["follow_ups"]
    assert follow_up == {
        "id": follow_up_id,
        "title": "Add a config canary",
        "owner": "bob",
        "due_date": FAR,
        "ticket": "OPS-2001",
        "status": "open",
        "added_at": answer["updated_at"],
        "completed_at": None,
        "completed_by": None,
        "completion_note": None,
        "cancelled_at": None,
        "cancelled_by": None,
        "cancel_reason": None,
        "original_due_date": FAR,
        "due_date_changes": 0,
    }


async def test_the_owner_completes_their_follow_up(
    client: httpx.AsyncClient, bob: Headers, with_follow_up: dict[str, Any]
) -> None:
    follow_up_id = with_follow_up["follow_up_id"]

    answer = await review_command(
        client, bob, with_follow_up, f"/follow-ups/{follow_up_id}/complete", {"note": "alert on"}
    )

    (follow_up,) = answer["review"]["follow_ups"]
    assert (follow_up["status"], follow_up["completed_by"], follow_up["completion_note"]) == (
        "done",
        "bob",
        "alert on",
    )
    assert follow_up["completed_at"] == answer["updated_at"]


async def test_a_follow_up_completes_without_a_note(
    client: httpx.AsyncClient, dave: Headers, with_follow_up: dict[str, Any]
) -> None:
    follow_up_id = with_follow_up["follow_up_id"]

    answer = await review_command(
        client, dave, with_follow_up, f"/follow-ups/{follow_up_id}/complete", {}
    )

    assert answer["review"]["follow_ups"][0]["completion_note"] is None


async def test_reassign_a_follow_up(
    client: httpx.AsyncClient, dave: Headers, with_follow_up: dict[str, Any]
) -> None:
    follow_up_id = with_follow_up["follow_up_id"]

    answer = await review_command(
        client, dave, with_follow_up, f"/follow-ups/{follow_up_id}/reassign", {"owner": "erin"}
    )

    assert answer["review"]["follow_ups"][0]["owner"] == "erin"
    last = (await events_of(client, dave, with_follow_up["id"]))[-1]
    assert (last["type"], last["data"]["previous_owner"], last["data"]["owner"]) == (
        "FollowUpReassigned",
        "bob",
        "erin",
    )


async def test_move_a_follow_ups_due_date(
    client: httpx.AsyncClient, bob: Headers, with_follow_up: dict[str, Any]
) -> None:
    follow_up_id = with_follow_up["follow_up_id"]

    answer = await review_command(
        client,
        bob,
        with_follow_up,
        f"/follow-ups/{follow_up_id}/due-date",
        {"due_date": "2030-02-01", "reason": "waits for the metrics pipeline"},
    )

    assert answer["review"]["follow_ups"][0]["due_date"] == "2030-02-01"
    last = (await events_of(client, bob, with_follow_up["id"]))[-1]
    assert last["data"] == {
        "follow_up_id": follow_up_id,
        "due_date": "2030-02-01",
        "previous_due_date": FAR,
        "reason": "waits for the metrics pipeline",
    }


async def test_publish_the_review(
    client: httpx.AsyncClient, dave: Headers, with_follow_up: dict[str, Any]
) -> None:
    with_cause = await review_command(
        client, dave, with_follow_up, "/root-cause", {"text": "pool exhausted"}
    )

    answer = await review_command(client, dave, with_cause, "/publish", {})

    review = answer["review"]
    assert (review["status"], review["required"], review["pending"]) == ("published", True, False)
    assert review["published_at"] == answer["updated_at"]


async def test_publish_without_follow_ups_with_a_reason(
    client: httpx.AsyncClient, alice: Headers, in_review: dict[str, Any]
) -> None:
    with_cause = await review_command(
        client, alice, in_review, "/root-cause", {"text": "a disk failed"}
    )

    answer = await review_command(
        client, alice, with_cause, "/publish", {"no_follow_up_reason": "the vendor replaced it"}
    )

    assert answer["review"]["no_follow_up_reason"] == "the vendor replaced it"
    assert answer["review"]["status"] == "published"


async def test_a_closed_incident_can_be_reviewed(
    client: httpx.AsyncClient, alice: Headers, resolved: dict[str, Any]
) -> None:
    closed = await client.post(f"/v1/incidents/{resolved['id']}/close", json={}, headers=alice)
    assert closed.status_code == 200, closed.text

    answer = await review_command(client, alice, closed.json(), "", {"facilitator": "dave"})

    assert (answer["status"], answer["review"]["status"]) == ("closed", "started")


# --- reading the review -----------------------------------------------------------------------


async def test_get_the_review_as_json(
    client: httpx.AsyncClient, carol: Headers, with_follow_up: dict[str, Any]
) -> None:
    response = await client.get(postmortem(with_follow_up), headers=carol)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["ETag"] == f'"{with_follow_up["version"]}"'
    body = response.json()
    assert (body["incident_id"], body["reference"], body["title"], body["version"]) == (
        with_follow_up["id"],
        with_follow_up["reference"],
        with_follow_up["title"],
        with_follow_up["version"],
    )
    assert body["review"] == with_follow_up["review"]


@pytest.mark.parametrize(
    ("accept", "markdown"),
    [
        ("text/markdown", True),
        ("text/markdown; charset=utf-8", True),
        ("application/json", False),
        ("application/json, text/markdown", False),
        (None, False),
    ],
)
async def test_accept_text_markdown_gets_the_post_mortem_document(
    client: httpx.AsyncClient,
    carol: Headers,
    with_follow_up: dict[str, Any],
    accept: str | None,
    markdown: bool,
) -> None:
    headers = carol if accept is None else {**carol, "Accept": accept}

    response = await client.get(postmortem(with_follow_up), headers=headers)

    assert response.status_code == 200, response.text
    if markdown:
        assert response.headers["content-type"] == "text/markdown; charset=utf-8"
        assert response.headers["ETag"] == f'"{with_follow_up["version"]}"'
        document = response.text
        assert document.startswith(
            f"# Post-incident review: {with_follow_up['reference']} Checkout returns 500s\n"
        )
        assert "| Alert at 80% pool use | bob | 2030-01-01 | open |" in document
    else:
        assert response.json()["review"]["status"] == "started"


async def test_the_review_of_an_unknown_incident_is_404(
    client: httpx.AsyncClient, carol: Headers
) -> None:
    response = await client.get(f"/v1/incidents/{uuid.uuid4()}/postmortem", headers=carol)

    assert_problem(response, 404, "incident-not-found")


# --- bad input: a problem naming the field, and nothing written -------------------------------

BAD_INPUT = [
    ("", {"facilitator": ""}, "facilitator"),
    ("", {"facilitator": "dave", "note": "x"}, "note"),
    ("", {}, "facilitator"),
    ("/root-cause", {"text": "   "}, "text"),
    ("/root-cause", {"text": "x", "author": "dave"}, "author"),
    ("/contributing-factors", {"text": "x", "category": "people"}, "category"),
    ("/contributing-factors", {"text": "", "category": "change"}, "text"),
    ("/contributing-factors", {"text": "x"}, "category"),
    ("/recommendations", {"text": ""}, "text"),
    ("/follow-ups", {"title": "t", "owner": "bob", "due_date": "next week"}, "due_date"),
    ("/follow-ups", {"title": "t", "owner": "bob", "due_date": "2030-02-30"}, "due_date"),
    ("/follow-ups", {"title": "t", "owner": "bob", "due_date": "2030-13-01"}, "due_date"),
    ("/follow-ups", {"title": "", "owner": "bob", "due_date": FAR}, "title"),
    ("/follow-ups", {"title": "t", "due_date": FAR}, "owner"),
    ("/follow-ups", {"title": "t", "owner": "bob", "due_date": FAR, "tickets": "x"}, "tickets"),
    ("/follow-ups/{fid}/complete", {"notes": "done"}, "notes"),
    ("/follow-ups/{fid}/reassign", {"owner": " "}, "owner"),
    ("/follow-ups/{fid}/due-date", {"due_date": "2030-04-31", "reason": "later"}, "due_date"),
    ("/follow-ups/{fid}/due-date", {"due_date": "2030-04-01", "reason": ""}, "reason"),
    ("/follow-ups/{fid}/due-date", {"due_date": "2030-04-01"}, "reason"),
    ("/publish", {"reason": "none needed"}, "reason"),
]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    BAD_INPUT,
    ids=[f"{path or '/start'} {field} {n}" for n, (path, _, field) in enumerate(BAD_INPUT)],
)
async def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    with_follow_up: dict[str, Any],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = await stored_events(pool)
    url = postmortem(with_follow_up, path.format(fid=with_follow_up["follow_up_id"]))

    response = await client.post(url, json=body, headers=alice)

    assert_problem(response, 422, "validation-error", field=field)
    assert await stored_events(pool) == before


@pytest.mark.parametrize("action", ["complete", "reassign", "due-date"])
async def test_an_unknown_follow_up_is_404(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    with_follow_up: dict[str, Any],
    action: str,
) -> None:
    before = await stored_events(pool)
    body = {
        "complete": {},
        "reassign": {"owner": "erin"},
        "due-date": {"due_date": "2030-04-01", "reason": "later"},
    }[action]

    response = await client.post(
        postmortem(with_follow_up, f"/follow-ups/{uuid.uuid4()}/{action}"), json=body, headers=alice
    )

    assert_problem(response, 404, "follow-up-not-found")
    assert await stored_events(pool) == before


async def test_a_review_command_on_an_unknown_incident_is_404(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    response = await client.post(
        f"/v1/incidents/{uuid.uuid4()}/postmortem", json={"facilitator": "dave"}, headers=alice
    )

    assert_problem(response, 404, "incident-not-found")


# --- rules: 409 for the state, 403 for the person ---------------------------------------------


async def test_an_open_incident_cannot_be_reviewed(
    client: httpx.AsyncClient, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    before = await stored_events(pool)

    response = await client.post(postmortem(incident), json={"facilitator": "dave"}, headers=alice)

    assert_problem(response, 409, "incident-not-resolved")
    assert await stored_events(pool) == before


@pytest.mark.parametrize(
    ("path", "body", "rule"),
    [
        ("", {"facilitator": "erin"}, "postmortem-already-started"),
        ("/publish", {}, "postmortem-needs-root-cause"),
        ("/follow-ups/{fid}/reassign", {"owner": "bob"}, "no-change"),
        ("/follow-ups/{fid}/due-date", {"due_date": FAR, "reason": "same"}, "no-change"),
    ],
)
async def test_a_command_the_review_state_does_not_allow_is_409(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    alice: Headers,
    with_follow_up: dict[str, Any],
    path: str,
    body: dict[str, Any],
    rule: str,
) -> None:
    before = await stored_events(pool)
    url = postmortem(with_follow_up, path.format(fid=with_follow_up["follow_up_id"]))

    response = await client.post(url, json=body, headers=alice)

    assert_problem(response, 409, rule)
    assert await stored_events(pool) == before


async def test_nothing_is_recorded_before_the_review_starts(
    client: httpx.AsyncClient, alice: Headers, resolved: dict[str, Any]
) -> None:
    response = await client.post(
        postmortem(resolved, "/root-cause"), json={"text": "DNS"}, headers=alice
    )

    assert_problem(response, 409, "postmortem-not-started")


async def test_publishing_needs_a_follow_up_or_a_reason(
    client: httpx.AsyncClient, alice: Headers, in_review: dict[str, Any]
) -> None:
    await review_command(client, alice, in_review, "/root-cause", {"text": "a disk failed"})

    response = await client.post(postmortem(in_review, "/publish"), json={}, headers=alice)

    assert_problem(response, 409, "postmortem-needs-follow-ups")


async def test_a_follow_up_completes_once_and_a_review_publishes_once(
    client: httpx.AsyncClient, alice: Headers, with_follow_up: dict[str, Any]
) -> None:
    fid = with_follow_up["follow_up_id"]
    done = await review_command(client, alice, with_follow_up, f"/follow-ups/{fid}/complete", {})
    again = await client.post(
        postmortem(done, f"/follow-ups/{fid}/complete"), json={}, headers=alice
    )
    assert_problem(again, 409, "follow-up-already-completed")

    with_cause = await review_command(client, alice, done, "/root-cause", {"text": "pool"})
    await review_command(client, alice, with_cause, "/publish", {})
    twice = await client.post(postmortem(done, "/publish"), json={}, headers=alice)
    assert_problem(twice, 409, "postmortem-already-published")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/root-cause", {"text": "DNS"}),
        ("/contributing-factors", {"text": "x", "category": "other"}),
        ("/recommendations", {"text": "x"}),
        ("/follow-ups", {"title": "t", "owner": "bob", "due_date": FAR}),
        ("/publish", {"no_follow_up_reason": "none"}),
    ],
)
async def test_someone_neither_commander_nor_facilitator_is_refused(
    client: httpx.AsyncClient,
    pool: asyncpg.Pool,
    bob: Headers,
    in_review: dict[str, Any],
    path: str,
    body: dict[str, Any],
) -> None:
    before = await stored_events(pool)

    response = await client.post(postmortem(in_review, path), json=body, headers=bob)

    problem = assert_problem(response, 403, "not-incident-authority")
    assert "bob" in problem["detail"]
    assert await stored_events(pool) == before


async def test_only_the_acting_commander_starts_the_review(
    client: httpx.AsyncClient, dave: Headers, resolved: dict[str, Any]
) -> None:
    response = await client.post(postmortem(resolved), json={"facilitator": "dave"}, headers=dave)

    assert_problem(response, 403, "not-incident-authority")


async def test_a_follow_up_owner_acts_only_on_their_own(
    client: httpx.AsyncClient, bob: Headers, dave: Headers, with_follow_up: dict[str, Any]
) -> None:
    others = await review_command(
        client,
        dave,
        with_follow_up,
        "/follow-ups",
        {"title": "Runbook", "owner": "erin", "due_date": FAR},
    )

    response = await client.post(
        postmortem(others, f"/follow-ups/{others['follow_up_id']}/complete"), json={}, headers=bob
    )

    assert_problem(response, 403, "not-incident-authority")


async def test_a_reader_cannot_write_the_review(
    client: httpx.AsyncClient, carol: Headers, in_review: dict[str, Any]
) -> None:
    response = await client.post(
        postmortem(in_review, "/root-cause"), json={"text": "DNS"}, headers=carol
    )

    assert_problem(response, 403, "insufficient-scope")


async def test_an_admin_starts_the_review_by_breaking_glass(
    client: httpx.AsyncClient, root: Headers, resolved: dict[str, Any]
) -> None:
    await review_command(client, root, resolved, "", {"facilitator": "dave"})

    last = (await events_of(client, root, resolved["id"]))[-1]
    assert (last["actor"], last["data"]["break_glass"]) == ("root", True)


async def test_if_match_guards_review_commands_too(
    client: httpx.AsyncClient, alice: Headers, in_review: dict[str, Any]
) -> None:
    stale = {**alice, "If-Match": f'"{in_review["version"] - 1}"'}

    response = await client.post(
        postmortem(in_review, "/root-cause"), json={"text": "DNS"}, headers=stale
    )

    assert_problem(response, 412, "version-mismatch")


async def test_a_p3_review_is_never_pending(client: httpx.AsyncClient, alice: Headers) -> None:
    p3 = await declare(client, alice, severity="P3")
    resolved = await client.post(
        f"/v1/incidents/{p3['id']}/resolve",
        json={"resolution": "workaround", "summary": "flag off"},
        headers=alice,
    )
    started = await review_command(client, alice, resolved.json(), "", {"facilitator": "dave"})

    assert (started["review"]["required"], started["review"]["pending"]) == (False, False)
