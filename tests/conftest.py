"""Fixtures on a real PostgreSQL: the embedded server by default, or IRM_TEST_DATABASE_URL.

The schema is migrated once into a template database; every test that needs a database gets
its own fresh copy (`CREATE DATABASE … TEMPLATE …`), so tests never see each other's events.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio

from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from services.projector.runner import projector_running
from services.projector.settings import ProjectorSettings
from shared.database import Database, start_embedded_server
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.schema import migrate
from shared.eventstore.store import EventStore
from shared.people import make_known
from shared.tokens import Scope, create_token

TEST_DATABASE_URL_ENV = "IRM_TEST_DATABASE_URL"


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A URL on which the tests may create and drop databases."""
    configured = os.environ.get(TEST_DATABASE_URL_ENV)
    if configured:
        yield configured
        return
    data_dir = tempfile.mkdtemp(prefix="irm-test-pg-")
    server = start_embedded_server(Path(data_dir))
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        # cleanup() stops the server but keeps its files: each run would leave ~40 MB behind.
        shutil.rmtree(data_dir, ignore_errors=True)


# The people the tests' incidents name, known in every test's database as if an admin had added
# them; a test about unknown people uses a name outside it.
TEAM = ("alice", "bob", "carol", "dave", "erin", "frank", "root", "admin")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def template_database(server_url: str) -> AsyncIterator[str]:
    """The name of a migrated database that each test's database is cloned from."""
    name = f"irm_template_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(with_database(server_url, name))
        try:
            await migrate(conn)
            for handle in TEAM:
                await make_known(conn, handle, created_by="tests")
        finally:
            await conn.close()
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


EmptyDatabase = Callable[[], Awaitable[str]]


@pytest_asyncio.fixture(loop_scope="session")
async def make_empty_database(server_url: str) -> AsyncIterator[EmptyDatabase]:
    """Make databases of this test's own with nothing in them (no template, no migrations),
    as a new deployment has."""
    admin = await asyncpg.connect(server_url)
    names: list[str] = []

    async def make() -> str:
        name = f"irm_empty_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return with_database(server_url, name)

    try:
        yield make
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(server_url: str, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database of this test's own."""
    name = f"irm_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield with_database(server_url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A connection pool on the test's database."""
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=20)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    """The event store on the test's database."""
    return EventStore(pool, build_mapper(), lock_timeout_ms=10_000)


@pytest.fixture
def repository(store: EventStore) -> IncidentRepository:
    """The incident repository, with snapshots every 5 events so tests reach them quickly."""
    return IncidentRepository(store, snapshot_interval=5)


@pytest.fixture
def api_settings(database_url: str) -> ApiSettings:
    """API settings pointing at the test's database."""
    return ApiSettings(database_url=database_url, snapshot_interval=5)


TokenFactory = Callable[[str, Scope], Awaitable[str]]


@pytest.fixture
def make_token(pool: asyncpg.Pool) -> TokenFactory:
    """Create an API token for a principal with a scope; returns the bearer token."""

    async def make(principal: str, scope: Scope = Scope.WRITE) -> str:
        return await create_token(pool, principal=principal, scope=scope)

    return make


@pytest.fixture
def projector_settings(database_url: str) -> ProjectorSettings:
    """Projector settings for the test's database: a seconds-scale cadence, quick polling."""
    return ProjectorSettings(
        database_url=database_url,
        update_cadence="P1=3s,P2=6s,P3=12s,P4=24s",
        projector_idle_timeout=0.2,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    api_settings: ApiSettings, projector_settings: ProjectorSettings, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the API in-process, with its lifespan and a projector running, as
    `irm serve` runs them. Reads of read models should pass min_position=<command position>."""
    async with api_client(api_settings, projector_settings, database_url) as http:
        yield http


@asynccontextmanager
async def api_client(
    api_settings: ApiSettings, projector_settings: ProjectorSettings, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on an API built from `api_settings`, in-process with its lifespan and a
    projector running."""
    app = create_app(api_settings)
    async with app.router.lifespan_context(app):
        database = Database(pool=app.state.services.pool, url=database_url, embedded=False)
        async with projector_running(database, projector_settings):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://irm.test") as http:
                yield http


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}
