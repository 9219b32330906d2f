"""Two API replicas on one database: each keeps the incidents it wrote, which the other can
move on. A command on a kept state that is behind is decided again on the latest state, so
the client never sees the difference."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.api.conftest import RESOLVE, ClientFactory, Headers, declare, events_of, post

Replicas = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest_asyncio.fixture(loop_scope="session")
async def replicas(open_client: ClientFactory) -> AsyncIterator[Replicas]:
    async with open_client() as first, open_client() as second:
        yield first, second


async def test_an_update_after_the_other_replica_wrote_lands_on_the_latest_version(
    replicas: Replicas, alice: Headers
) -> None:
    first, second = replicas
    incident = await declare(first, alice)  # first keeps version 1
    note = {"audience": "internal", "body": "from the second replica"}
    assert (await post(second, alice, incident, "updates", note)).status_code == 200

    response = await post(
        first, alice, incident, "updates", {"audience": "internal", "body": "from the first"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3
    bodies = [e["data"].get("body") for e in await events_of(first, alice, incident["id"])]
    assert bodies[1:] == ["from the second replica", "from the first"]


async def test_a_rule_checked_on_a_kept_state_that_is_behind_is_checked_again(
    replicas: Replicas, alice: Headers
) -> None:
    first, second = replicas
    incident = await declare(first, alice)  # first keeps it open
    assert (await post(second, alice, incident, "resolve", RESOLVE)).status_code == 200

    # Closing an open incident is refused; this one was resolved on the other replica.
    response = await post(first, alice, incident, "close")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"


async def test_if_match_with_the_latest_version_holds_when_the_kept_state_is_behind(
    replicas: Replicas, alice: Headers
) -> None:
    first, second = replicas
    incident = await declare(first, alice)
    moved = await post(
        second, alice, incident, "severity", {"severity": "P1", "reason": "spreading"}
    )
    assert moved.status_code == 200

    response = await post(
        first,
        alice,
        incident,
        "severity",
        {"severity": "P2", "reason": "contained"},
        **{"If-Match": moved.headers["ETag"]},
    )

    assert response.status_code == 200, response.text
    assert response.json()["severity"] == "P2"
    assert response.headers["ETag"] == '"3"'
