"""Commands racing on one incident: optimistic concurrency, retries, and an exact log.

To make a race certain rather than likely, some tests hold the events table's lock (the one
every append takes) while the commands load the incident, and let go once all of them are
waiting to append: every command then read the same version, and only one can be first.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx

from tests.api.conftest import ClientFactory, Headers, assert_problem, events_of, stored_events

# Only a guard against hanging forever if a command never reaches the lock; not a measurement.
WAIT_FOR_WAITERS_SECONDS = 60


async def post_update(
    client: httpx.AsyncClient,
    headers: Headers,
    incident_id: str,
    text: str,
    *,
    if_match: str | None = None,
) -> httpx.Response:
    """Post an internal update whose body identifies the request."""
    extra = {} if if_match is None else {"If-Match": if_match}
    return await client.post(
        f"/v1/incidents/{incident_id}/updates",
        json={"audience": "internal", "body": text},
        headers={**headers, **extra},
    )


@asynccontextmanager
async def appends_held(pool: asyncpg.Pool) -> AsyncIterator[None]:
    """Hold the lock every append needs until the block ends (reads go on unhindered)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE irm_events IN EXCLUSIVE MODE")
        yield


async def wait_for_blocked_appends(pool: asyncpg.Pool, count: int) -> None:
    """Return once `count` appends are queued behind the held lock."""
    async with asyncio.timeout(WAIT_FOR_WAITERS_SECONDS):
        while True:
            waiting = await pool.fetchval(
                """SELECT count(*) FROM pg_locks
                   WHERE NOT granted AND relation = 'irm_events'::regclass
                     AND database = (SELECT oid FROM pg_database
                                     WHERE datname = current_database())"""
            )
            if waiting >= count:
                return
            await asyncio.sleep(0.01)


async def race(
    pool: asyncpg.Pool,
    client: httpx.AsyncClient,
    headers: Headers,
    incident_id: str,
    count: int,
    *,
    if_match: str | None = None,
) -> list[httpx.Response]:
    """`count` updates that all load the same version before any of them may append."""
    async with appends_held(pool):
        tasks = [
            asyncio.create_task(
                post_update(client, headers, incident_id, f"update {n}", if_match=if_match)
            )
            for n in range(count)
        ]
        await wait_for_blocked_appends(pool, count)
    return list(await asyncio.gather(*tasks))


async def assert_log_has_exactly(
    client: httpx.AsyncClient, headers: Headers, incident_id: str, ok: list[httpx.Response]
) -> None:
    """The incident's log is its declaration plus one event per successful answer."""
    recorded = await events_of(client, headers, incident_id)
    posted = recorded[1:]
    assert Counter(e["data"]["body"] for e in posted) == Counter(sent_body(r) for r in ok)
    assert sorted(e["position"] for e in posted) == sorted(r.json()["position"] for r in ok)
    assert [e["version"] for e in recorded] == list(range(1, len(ok) + 2))
    assert sorted(r.json()["version"] for r in ok) == list(range(2, len(ok) + 2))


def sent_body(response: httpx.Response) -> str:
    """The update text the request of this answer carried."""
    body: str = json.loads(response.request.content)["body"]
    return body


async def test_without_retries_one_racing_command_wins_and_the_rest_are_409(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    async with open_client(command_retries=0, lock_timeout_ms=60_000, db_pool_max_size=20) as api:
        answers = await race(pool, api, alice, incident["id"], 6)

        statuses = Counter(a.status_code for a in answers)
        assert statuses == {200: 1, 409: 5}, [a.text for a in answers]
        for lost in (a for a in answers if a.status_code == 409):
            assert_problem(lost, 409, "concurrent-modification")
        await assert_log_has_exactly(
            api, alice, incident["id"], [a for a in answers if a.status_code == 200]
        )


async def test_without_retries_concurrent_commands_are_200_or_409_and_logged_once(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    async with open_client(command_retries=0, lock_timeout_ms=60_000, db_pool_max_size=20) as api:
        answers = await asyncio.gather(
            *(post_update(api, alice, incident["id"], f"update {n}") for n in range(20))
        )

        assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
        for lost in (a for a in answers if a.status_code == 409):
            assert_problem(lost, 409, "concurrent-modification")
        ok = [a for a in answers if a.status_code == 200]
        assert ok
        await assert_log_has_exactly(api, alice, incident["id"], ok)


async def test_with_retries_as_many_racers_as_attempts_all_succeed(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    # Each failed attempt means another racer committed, so n racers need at most n attempts.
    retries = 3
    async with open_client(
        command_retries=retries, lock_timeout_ms=60_000, db_pool_max_size=20
    ) as api:
        answers = await race(pool, api, alice, incident["id"], retries + 1)

        assert [a.status_code for a in answers] == [200] * (retries + 1), [a.text for a in answers]
        await assert_log_has_exactly(api, alice, incident["id"], answers)


async def test_with_the_default_retries_concurrent_updates_land_exactly_once(
    client: httpx.AsyncClient, alice: Headers, incident: dict[str, Any]
) -> None:
    answers = await asyncio.gather(
        *(post_update(client, alice, incident["id"], f"update {n}") for n in range(20))
    )

    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    for lost in (a for a in answers if a.status_code == 409):
        assert_problem(lost, 409, "concurrent-modification")
    ok = [a for a in answers if a.status_code == 200]
    assert ok
    await assert_log_has_exactly(client, alice, incident["id"], ok)


async def test_racing_commands_with_the_same_if_match_get_one_200_and_412s(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    async with open_client(lock_timeout_ms=60_000, db_pool_max_size=20) as api:
        answers = await race(pool, api, alice, incident["id"], 3, if_match='"1"')

        assert sorted(a.status_code for a in answers) == [200, 412, 412]
        for lost in (a for a in answers if a.status_code == 412):
            problem = assert_problem(lost, 412, "version-mismatch")
            assert problem["expected_version"] == 1
        await assert_log_has_exactly(
            api, alice, incident["id"], [a for a in answers if a.status_code == 200]
        )


async def test_an_append_that_cannot_get_the_lock_is_503_and_writes_nothing(
    open_client: ClientFactory, pool: asyncpg.Pool, alice: Headers, incident: dict[str, Any]
) -> None:
    async with open_client(lock_timeout_ms=1) as api, appends_held(pool):
        response = await post_update(api, alice, incident["id"], "stuck")

    assert_problem(response, 503, "store-busy")
    assert response.headers["Retry-After"] == "1"
    assert await stored_events(pool) == 1
