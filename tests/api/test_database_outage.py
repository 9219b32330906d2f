"""A database outage is `503 database-unavailable` with Retry-After, never a 500; and the API
recovers by itself once the database is back.

Nothing here mocks asyncpg: the outages are real. The database is behind a TCP proxy the test
cuts and restores, a pool points at a port nothing listens on, or the server terminates the
connection of a command that waits for the event store's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from services.projector.runner import projector_running
from services.projector.settings import ProjectorSettings
from shared.database import Database
from tests.api.conftest import DECLARE, Headers, assert_problem, stored_events


class DatabaseProxy:
    """A TCP proxy in front of the test's PostgreSQL (TCP or Unix socket) that can be cut:
    `cut()` refuses new connections and resets the open ones, `restore()` listens again on the
    same port."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        self._unix_path = f"{socket_dir}/.s.PGSQL.{parts.port or 5432}" if socket_dir else None
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 5432
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        user = parts.username or "postgres"
        password = f":{parts.password}" if parts.password else ""
        self.url = f"postgresql://{user}{password}@127.0.0.1:{self.port}{parts.path}"

    async def restore(self) -> None:
        """Accept connections (again)."""
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Stop listening and reset every open connection, both ways."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in self._links:
            writer.transport.abort()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        self._links.clear()
        self._pumps.clear()

    async def _link(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._unix_path is not None:
            server_r, server_w = await asyncio.open_unix_connection(self._unix_path)
        else:
            server_r, server_w = await asyncio.open_connection(self._host, self._port)
        self._links |= {client_w, server_w}
        for source, sink in ((client_r, server_w), (server_r, client_w)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)

    @staticmethod
    async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()


@asynccontextmanager
async def api_on(
    database: Database | None = None, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An API (no projector) on `settings`, or on an open `database`."""
    app = create_app(ApiSettings(**settings), database=database)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://irm.test") as http:
            yield http


def assert_unavailable(response: httpx.Response) -> None:
    """503 database-unavailable, and when to try again."""
    problem = assert_problem(response, 503, "database-unavailable")
    assert 1 <= int(response.headers["Retry-After"]) <= 5
    assert "retry" in problem["detail"]


async def test_a_database_that_refuses_connections_is_503(
    database_url: str, alice: Headers
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = int(probe.getsockname()[1])
    nowhere = f"postgresql://postgres@127.0.0.1:{closed_port}/irm"
    # min_size=0: the pool opens its first connection on the first request.
    pool = await asyncpg.create_pool(nowhere, min_size=0, max_size=2)
    try:
        database = Database(pool=pool, url=nowhere, embedded=False)
        async with api_on(database, database_url=nowhere) as api:
            command = await api.post("/v1/incidents", json=DECLARE, headers=alice)
            query = await api.get("/v1/incidents", headers=alice)
    finally:
        await pool.close()

    assert_unavailable(command)
    assert_unavailable(query)


async def test_commands_and_queries_are_503_while_the_database_is_cut_off_then_work_again(
    database_url: str, pool: asyncpg.Pool, alice: Headers, projector_settings: ProjectorSettings
) -> None:
    proxy = DatabaseProxy(database_url)
    await proxy.restore()
    # The projector reaches the database directly: the list after the cut reads its writes.
    projector = projector_running(
        Database(pool=pool, url=database_url, embedded=False), projector_settings
    )
    try:
        async with projector, api_on(database_url=proxy.url, token_cache_seconds=600) as api:
            declared = await api.post("/v1/incidents", json=DECLARE, headers=alice)
            incident = declared.json()["id"]
            severity = {"severity": "P1", "reason": "worse"}

            await proxy.cut()
            cut_command = await api.post(
                f"/v1/incidents/{incident}/severity", json=severity, headers=alice
            )
            cut_declare = await api.post(
                "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": "k-1"}
            )
            cut_events = await api.get(f"/v1/incidents/{incident}/events", headers=alice)
            cut_list = await api.get("/v1/incidents", headers=alice)
            events_while_cut = await stored_events(pool)

            await proxy.restore()
            command = await api.post(
                f"/v1/incidents/{incident}/severity", json=severity, headers=alice
            )
            retried = await api.post(
                "/v1/incidents", json=DECLARE, headers={**alice, "Idempotency-Key": "k-1"}
            )
            events = await api.get(f"/v1/incidents/{incident}/events", headers=alice)
            listed = await api.get("/v1/incidents", headers=alice)
    finally:
        await proxy.cut()

    assert declared.status_code == 201, declared.text
    for response in (cut_command, cut_declare, cut_events, cut_list):
        assert_unavailable(response)
    assert events_while_cut == 1
    assert command.status_code == 200, command.text
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert [e["type"] for e in events.json()["items"]] == ["Declared", "SeverityChanged"]
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 2
    assert await stored_events(pool) == 3


async def test_a_command_whose_connection_the_server_terminates_is_503_and_wrote_nothing(
    database_url: str, pool: asyncpg.Pool, alice: Headers
) -> None:
    async with api_on(database_url=database_url, lock_timeout_ms=60_000) as api:
        key = {**alice, "Idempotency-Key": "pager-7f3a"}
        async with pool.acquire() as holder, holder.transaction():
            # The append waits for this lock; the server then ends the waiting connection.
            await holder.execute("LOCK TABLE irm_events IN EXCLUSIVE MODE")
            declare = asyncio.create_task(api.post("/v1/incidents", json=DECLARE, headers=key))
            waiting = await _backend_waiting_for_a_lock(holder)
            await holder.execute("SELECT pg_terminate_backend($1)", waiting)
            terminated = await declare
        retried = await api.post("/v1/incidents", json=DECLARE, headers=key)
        replayed = await api.post("/v1/incidents", json=DECLARE, headers=key)

    assert_unavailable(terminated)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["id"] == retried.json()["id"]
    assert await stored_events(pool) == 1


async def _backend_waiting_for_a_lock(conn: asyncpg.Connection) -> int:
    for _ in range(500):
        pid = await conn.fetchval(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND pid <> pg_backend_pid()"""
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.02)
    raise AssertionError("no command came to wait for the lock")
