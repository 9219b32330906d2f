""" "Mine": `?involves=alice` lists every incident alice has a part in: she owns it, commands it
(also as the owner before an IC is named), holds a role, or owns an open follow-up of its
review. `?role_holder=alice` counts the acting commander too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from tests.api.conftest import RESOLVE, Headers, declare, post

FAR = "2030-01-01"
Incidents = dict[str, dict[str, Any]]


async def ok(response: httpx.Response) -> dict[str, Any]:
    """The answer of a command that must succeed."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest_asyncio.fixture(loop_scope="session")
async def incidents(client: httpx.AsyncClient, alice: Headers, bob: Headers) -> Incidents:
    """Incidents alice is part of in each way, and some she is not, by what makes it so."""
    made = {
        "owns": await declare(client, bob, owner="alice", title="owns"),
        "declared": await declare(client, alice, title="declared"),
        "commands": await declare(client, bob, title="commands"),
        "leads_comms": await declare(client, bob, title="leads comms"),
        "follow_up": await declare(client, bob, title="follow-up"),
        "follow_up_done": await declare(client, bob, title="follow-up done"),
        "handed_over": await declare(client, alice, title="handed over"),
        "nothing": await declare(client, bob, title="nothing"),
    }
    await ok(await post(client, bob, made["commands"], "roles", _role("incident_commander")))
    await ok(await post(client, bob, made["leads_comms"], "roles", _role("communications_lead")))
    # alice owns it but named bob IC: as owner she is still part of it.
    await ok(
        await post(client, alice, made["handed_over"], "roles", _role("incident_commander", "bob"))
    )
    for name in ("follow_up", "follow_up_done", "nothing"):
        await ok(await post(client, bob, made[name], "resolve", RESOLVE))
        await ok(await post(client, bob, made[name], "postmortem", {"facilitator": "bob"}))
    for name in ("follow_up", "follow_up_done"):
        added = await ok(
            await post(
                client,
                bob,
                made[name],
                "postmortem/follow-ups",
                {"title": "Alert earlier", "owner": "alice", "due_date": FAR},
            )
        )
        made[name]["follow_up_id"] = added["follow_up_id"]
    done = made["follow_up_done"]["follow_up_id"]
    await ok(
        await post(
            client, alice, made["follow_up_done"], f"postmortem/follow-ups/{done}/complete", {}
        )
    )
    await ok(
        await post(
            client,
            bob,
            made["nothing"],
            "postmortem/follow-ups",
            {"title": "Not alice's", "owner": "bob", "due_date": FAR},
        )
    )
    return made


def _role(role: str, assignee: str = "alice") -> dict[str, str]:
    return {"role": role, "assignee": assignee}


async def titles(client: httpx.AsyncClient, headers: Headers, **params: str) -> set[str]:
    """The titles of the incidents the list answers with `params`."""
    response = await client.get("/v1/incidents", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


async def test_involves_finds_every_incident_she_has_a_part_in(
    client: httpx.AsyncClient, carol: Headers, incidents: Incidents
) -> None:
    found = await titles(client, carol, involves="alice")

    assert found == {
        "owns",
        "declared",
        "commands",
        "leads comms",
        "follow-up",
        "handed over",
    }


async def test_involves_is_exact_and_combines_with_other_filters(
    client: httpx.AsyncClient, carol: Headers, incidents: Incidents
) -> None:
    assert await titles(client, carol, involves="alic") == set()
    assert await titles(client, carol, involves="alice", status="resolved") == {"follow-up"}
    assert await titles(client, carol, involves="bob", status="resolved") == {
        "follow-up",
        "follow-up done",
        "nothing",
    }


async def test_role_holder_counts_the_acting_commander_also_the_owner_before_an_ic(
    client: httpx.AsyncClient, carol: Headers, incidents: Incidents
) -> None:
    # "owns" and "declared": alice owns them and no IC is named, so she acts as IC.
    assert await titles(client, carol, role_holder="alice") == {
        "owns",
        "declared",
        "commands",
        "leads comms",
    }
    # bob declared those and still acts as IC on them, and was named IC of "handed over".
    assert await titles(client, carol, role_holder="bob") == {
        "leads comms",
        "follow-up",
        "follow-up done",
        "nothing",
        "handed over",
    }
