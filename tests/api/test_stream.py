"""`GET /v1/stream`: every command's event reaches every connected client, once the read models
include it, in log order; a client that was away catches up with `after`; `seconds` ends a
stream. Driven by a real HTTP client against the API listening on 127.0.0.1 (an in-process
transport would buffer the stream to its end). The fan-out behind it (`LiveEvents`) encodes
each event once for every stream, and a stream that is behind gets all it missed at once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.incident_api import live_events
from services.incident_api.app import create_app
from services.incident_api.live_events import PING, Frame, LiveEvent, LiveEvents
from services.incident_api.routes.stream import end_streams
from services.incident_api.settings import ApiSettings
from services.projector.settings import ProjectorSettings
from tests.api.conftest import DECLARE, Headers
from tests.problems import assert_problem
from tests.served_app import served_with_projector


@dataclass
class LiveApi:
    """The API served over HTTP on 127.0.0.1, with a projector, as `irm serve` runs it."""

    url: str
    app: Any


@pytest_asyncio.fixture(loop_scope="session")
async def live(
    api_settings: ApiSettings,
    projector_settings: ProjectorSettings,
    database_url: str,
    pool: asyncpg.Pool,
) -> AsyncIterator[LiveApi]:
    app = create_app(api_settings)
    async with served_with_projector(app, pool, database_url, projector_settings) as url:
        yield LiveApi(url, app)


@dataclass
class Message:
    """One server-sent event: its id, event name and parsed data (None for an id alone)."""

    id: str | None
    event: str | None
    data: dict[str, Any] | None


async def messages(response: httpx.Response) -> AsyncIterator[Message]:
    """The server-sent events of a streamed answer, as they arrive."""
    fields: dict[str, list[str]] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            continue
        if line:
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
            continue
        if fields:
            data = fields.get("data")
            yield Message(
                id=fields.get("id", [None])[-1],
                event=fields.get("event", [None])[-1],
                data=json.loads("\n".join(data)) if data else None,
            )
        fields = {}


@asynccontextmanager
async def stream(
    live: LiveApi, headers: Headers, **params: int
) -> AsyncIterator[AsyncIterator[Message]]:
    """Open the stream; yield its messages after the first (the position it is live from)."""
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=10) as http,
        http.stream("GET", "/v1/stream", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        received = messages(response)
        first = await anext(received)
        assert first.data is None
        assert first.id is not None
        assert first.id.isdigit()
        yield received


async def next_events(received: AsyncIterator[Message], count: int) -> list[Message]:
    """The next `count` incident events (at most 5 s)."""
    got: list[Message] = []
    async with asyncio.timeout(5):
        while len(got) < count:
            message = await anext(received)
            if message.data is not None:
                got.append(message)
    return got


async def test_every_client_gets_each_command_once_projected_in_log_order(
    live: LiveApi, alice: Headers, carol: Headers
) -> None:
    async with (
        stream(live, carol) as first,
        stream(live, alice) as second,
        httpx.AsyncClient(base_url=live.url, headers=alice, timeout=10) as http,
    ):
        declared = (await http.post("/v1/incidents", json=DECLARE)).json()
        sent_at = time.monotonic()
        assigned = await http.post(
            f"/v1/incidents/{declared['reference']}/roles",
            json={"role": "communications_lead", "assignee": "bob"},
        )
        assert assigned.status_code == 200, assigned.text

        seen_first = await next_events(first, 2)
        seen_second = await next_events(second, 2)
        arrived_after = time.monotonic() - sent_at
        # Sent only once projected: the incident read without waiting shows the change.
        view = (await http.get(f"/v1/incidents/{declared['id']}")).json()

    assert [m.data for m in seen_first] == [m.data for m in seen_second]
    declare_event, role_event = (m.data for m in seen_first if m.data is not None)
    assert declare_event["type"] == "Declared"
    assert role_event["type"] == "RoleAssigned"
    assert role_event["reference"] == declared["reference"]
    assert role_event["incident_id"] == declared["id"]
    assert role_event["summary"] == "alice assigned communications_lead to bob"
    assert role_event["actor"] == "alice"
    assert role_event["position"] == assigned.json()["position"]
    assert [m.id for m in seen_first] == [str(declared["position"]), str(role_event["position"])]
    assert {m.event for m in seen_first} == {"incident-event"}
    assert view["roles"] == {"communications_lead": "bob"}
    assert arrived_after < 1.0


async def test_after_replays_what_a_client_missed_and_seconds_ends_the_stream(
    live: LiveApi, alice: Headers
) -> None:
    async with httpx.AsyncClient(base_url=live.url, headers=alice, timeout=10) as http:
        declared = (await http.post("/v1/incidents", json=DECLARE)).json()
        severity = await http.post(
            f"/v1/incidents/{declared['id']}/severity", json={"severity": "P1", "reason": "all EU"}
        )
        position = severity.json()["position"]
        # Replayed from the read models once they have it (the first `after` starts at 0).
        await http.get(f"/v1/incidents/{declared['id']}", params={"min_position": position})

        started = time.monotonic()
        async with stream(live, alice, after=declared["position"], seconds=1) as received:
            replayed = [m async for m in received]
        lasted = time.monotonic() - started

    assert [m.data["type"] for m in replayed if m.data] == ["SeverityChanged"]
    assert replayed[0].data is not None
    assert replayed[0].data["summary"] == "alice changed severity P2 → P1: all EU"
    assert 0.9 < lasted < 5


async def test_closing_the_streams_ends_them_for_a_graceful_shutdown(
    live: LiveApi, carol: Headers
) -> None:
    async with stream(live, carol) as received:
        end_streams(live.app)
        async with asyncio.timeout(5):
            rest = [m async for m in received]

    assert rest == []


async def test_a_stream_needs_a_token_and_takes_only_its_parameters(
    live: LiveApi, carol: Headers
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        no_token = await http.get("/v1/stream")
        too_long = await http.get("/v1/stream", params={"seconds": 86_401}, headers=carol)
        unknown = await http.get("/v1/stream", params={"incident": "INC-1"}, headers=carol)

    assert_problem(no_token, 401, "unauthorized")
    assert_problem(too_long, 422, "validation-error", field="seconds")
    assert_problem(unknown, 400, "unknown-query-parameter")


async def test_the_first_message_is_the_live_position_with_the_reconnect_delay(
    live: LiveApi, carol: Headers
) -> None:
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=10) as http,
        http.stream("GET", "/v1/stream", params={"seconds": 1}, headers=carol) as response,
    ):
        body = await response.aread()

    first, _, rest = body.partition(b"\n\n")
    comment, position, retry = first.split(b"\n")
    assert (comment, retry) == (b": live", b"retry: 1000")
    assert position.startswith(b"id: ")
    assert position.removeprefix(b"id: ").isdigit()
    assert rest == b""


async def chunks_until(follower: AsyncIterator[bytes], count: int) -> list[bytes]:
    """Chunks of a follower (the first, the live position, left out) until they hold `count`
    events (at most 5 s)."""
    got: list[bytes] = []
    async with asyncio.timeout(5):
        while sum(chunk.count(b"event: incident-event\n") for chunk in got) < count:
            got.append(await anext(follower))
    return got


def events_in(chunk: bytes) -> list[tuple[int, LiveEvent]]:
    """(id, the LiveEvent in its data) of each event message in `chunk`, in order."""
    found = []
    for message in chunk.split(b"\n\n"):
        fields = dict(line.split(b": ", 1) for line in message.split(b"\n") if line)
        if fields.get(b"event") == b"incident-event":
            found.append((int(fields[b"id"]), LiveEvent.model_validate_json(fields[b"data"])))
    return found


async def test_each_event_is_encoded_once_for_all_streams(
    live: LiveApi, pool: asyncpg.Pool, alice: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[int] = []
    encode = live_events.encode_frame

    def counted(event: LiveEvent) -> Frame:
        encoded.append(event.position)
        return encode(event)

    monkeypatch.setattr(live_events, "encode_frame", counted)
    fan_out = LiveEvents(pool, poll_seconds=0.01)
    async with AsyncExitStack() as streams:
        followers = [
            await streams.enter_async_context(aclosing(fan_out.follow(after=None, seconds=None)))
            for _ in range(20)
        ]
        for follower in followers:
            await anext(follower)  # live from here
        async with httpx.AsyncClient(base_url=live.url, headers=alice, timeout=10) as http:
            declared = [(await http.post("/v1/incidents", json=DECLARE)).json() for _ in range(3)]
        received = [b"".join(await chunks_until(follower, 3)) for follower in followers]

    positions = [d["position"] for d in declared]
    assert sorted(encoded) == positions
    assert set(received) == {received[0]}
    assert [p for p, _ in events_in(received[0])] == positions


async def test_a_stream_that_is_behind_gets_all_it_missed_in_one_chunk_in_order(
    live: LiveApi, pool: asyncpg.Pool, alice: Headers
) -> None:
    fan_out = LiveEvents(pool, poll_seconds=0.01)
    async with (
        aclosing(fan_out.follow(after=None, seconds=None)) as keeping_up,
        aclosing(fan_out.follow(after=None, seconds=None)) as behind,
        httpx.AsyncClient(base_url=live.url, headers=alice, timeout=10) as http,
    ):
        await anext(keeping_up)
        await anext(behind)
        declared = []
        kept_up: list[bytes] = []
        for _ in range(4):
            # One event at a time, each taken by the first stream before the next command.
            declared.append((await http.post("/v1/incidents", json=DECLARE)).json())
            kept_up += await chunks_until(keeping_up, 1)
        caught_up = await anext(behind)

    positions = [d["position"] for d in declared]
    assert [[p for p, _ in events_in(chunk)] for chunk in kept_up] == [[p] for p in positions]
    assert [p for p, _ in events_in(caught_up)] == positions
    assert caught_up == b"".join(kept_up)
    assert [e.incident_id for _, e in events_in(caught_up)] == [UUID(d["id"]) for d in declared]


async def test_an_idle_stream_sends_a_ping(pool: asyncpg.Pool) -> None:
    fan_out = LiveEvents(pool, ping_seconds=0.05)
    async with aclosing(fan_out.follow(after=None, seconds=None)) as follower:
        first = await anext(follower)
        async with asyncio.timeout(5):
            pinged = await anext(follower)

    assert first.startswith(b": live\n")
    assert pinged == PING == b": ping\n\n"
