"""A busy incident: many writers at once, none of whose commands conflict with the others'.

Without If-Match a command that loses the append race is decided again on the newer state
until it lands (within `command_retry_seconds`), so writers that only add updates never see a
409; a command whose rule fails on the newer state still gets that rule's answer.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import asyncpg
import httpx

from tests.api.conftest import (
    RESOLVE,
    ClientFactory,
    Headers,
    assert_problem,
    declare,
    events_of,
    post,
    stored_events,
)
from tests.api.test_concurrency import appends_held, post_update, wait_for_blocked_appends

WRITERS = 16
UPDATES_EACH = 20


async def writer(
    client: httpx.AsyncClient, headers: Headers, incident_id: str, name: int
) -> list[httpx.Response]:
    """One client posting its updates one after the other, as a responder's tool would."""
    return [
        await post_update(client, headers, incident_id, f"writer {name} update {n}")
        for n in range(UPDATES_EACH)
    ]


async def test_sixteen_writers_on_one_incident_get_no_409_and_every_update_lands_once(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    per_writer = await asyncio.gather(
        *(writer(client, alice, incident["id"], w) for w in range(WRITERS))
    )
    answers = [a for answers in per_writer for a in answers]

    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: WRITERS * UPDATES_EACH}, (
        statuses,
        {a.text for a in answers if a.status_code != 200},
    )
    recorded = await events_of(client, alice, incident["id"])
    posted = Counter(e["data"]["body"] for e in recorded if e["type"] == "UpdatePosted")
    sent = Counter(f"writer {w} update {n}" for w in range(WRITERS) for n in range(UPDATES_EACH))
    assert posted == sent
    assert [e["version"] for e in recorded] == list(range(1, WRITERS * UPDATES_EACH + 2))
    assert sorted(a.json()["version"] for a in answers) == list(
        range(2, WRITERS * UPDATES_EACH + 2)
    )


async def race_commands(
    pool: asyncpg.Pool,
    client: httpx.AsyncClient,
    headers: Headers,
    incident: dict[str, Any],
    action: str,
    body: dict[str, Any] | None,
    count: int,
) -> list[httpx.Response]:
    """`count` identical commands that all decide on the same version before any appends."""
    async with appends_held(pool):
        tasks = [
            asyncio.create_task(post(client, headers, incident, action, body)) for _ in range(count)
        ]
        await wait_for_blocked_appends(pool, count)
    return list(await asyncio.gather(*tasks))


async def test_of_two_racing_closes_the_loser_gets_the_rule_of_the_closed_incident(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers
) -> None:
    async with open_client(lock_timeout_ms=60_000, db_pool_max_size=20) as api:
        incident = await declare(api, alice)
        assert (await post(api, alice, incident, "resolve", RESOLVE)).status_code == 200

        answers = await race_commands(pool, api, alice, incident, "close", None, 2)

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    (lost,) = (a for a in answers if a.status_code == 409)
    assert_problem(lost, 409, "incident-closed")
    assert await stored_events(pool) == 3


async def test_of_racing_changes_to_the_same_severity_one_lands_and_the_rest_are_no_change(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers
) -> None:
    async with open_client(lock_timeout_ms=60_000, db_pool_max_size=20) as api:
        incident = await declare(api, alice, severity="P3")
        change = {"severity": "P1", "reason": "spreading"}

        answers = await race_commands(pool, api, alice, incident, "severity", change, 4)

        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [
            a.text for a in answers
        ]
        for lost in (a for a in answers if a.status_code == 409):
            assert_problem(lost, 409, "no-change")
        recorded = await events_of(api, alice, incident["id"])
        assert [e["type"] for e in recorded] == ["Declared", "SeverityChanged"]


async def test_a_spent_retry_budget_is_still_409_concurrent_modification(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    async with open_client(
        command_retry_seconds=0, lock_timeout_ms=60_000, db_pool_max_size=20
    ) as api:
        async with appends_held(pool):
            tasks = [
                asyncio.create_task(post_update(api, alice, incident["id"], f"update {n}"))
                for n in range(4)
            ]
            await wait_for_blocked_appends(pool, 4)
        answers = await asyncio.gather(*tasks)

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    for lost in (a for a in answers if a.status_code == 409):
        assert_problem(lost, 409, "concurrent-modification")
    assert await stored_events(pool) == 2
