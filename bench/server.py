"""The PostgreSQL the benchmarks run on: the embedded one, or IRM_DATABASE_URL on this machine.

Every benchmark gets a database of its own, `irm_bench_<random>`, migrated to the latest schema
and dropped afterwards, so nothing it writes outlives the run or meets another benchmark's data.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import asyncpg

from shared.database import start_embedded_server
from shared.eventstore.schema import migrate

DATABASE_URL_ENV = "IRM_DATABASE_URL"


class NotLocalError(Exception):
    """The configured server is not on this machine; benchmarks talk only to loopback/sockets."""


@dataclass(frozen=True, slots=True)
class ConnParams:
    """A URL's parts as libpq keywords (what psycopg, and so eventsourcing, wants)."""

    host: str
    port: str
    user: str
    password: str
    dbname: str


def conn_params(url: str) -> ConnParams:
    """Split a postgresql:// URL; a unix socket directory may come as `?host=`."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return ConnParams(
        host=query.get("host", [parts.hostname or "localhost"])[0],
        port=str(parts.port or query.get("port", ["5432"])[0]),
        user=unquote(parts.username or query.get("user", ["postgres"])[0]),
        password=unquote(parts.password or query.get("password", [""])[0]),
        dbname=unquote(parts.path.lstrip("/")) or query.get("dbname", ["postgres"])[0],
    )


def check_local(url: str) -> None:
    """Refuse any server that is neither a unix socket nor a loopback address."""
    host = conn_params(url).host
    if host.startswith("/"):
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        raise NotLocalError(f"cannot resolve database host {host!r}") from error
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise NotLocalError(
            f"{DATABASE_URL_ENV} points at {host!r}; benchmarks only use 127.0.0.1, ::1 "
            "or a unix socket"
        )


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at database `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@asynccontextmanager
async def server_url() -> AsyncIterator[str]:
    """A URL on which databases may be created: IRM_DATABASE_URL, or a fresh embedded server."""
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        check_local(configured)
        yield configured
        return
    data_dir = Path(tempfile.mkdtemp(prefix="irm-bench-pg-"))
    try:
        server = await asyncio.to_thread(start_embedded_server, data_dir)
        try:
            yield str(server.get_uri())
        finally:
            await asyncio.to_thread(server.cleanup)
    finally:
        await asyncio.to_thread(shutil.rmtree, data_dir, ignore_errors=True)


@asynccontextmanager
async def bench_database(url: str) -> AsyncIterator[str]:
    """A new, migrated database `irm_bench_<random>` on the server; dropped on exit."""
    name = f"irm_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            conn = await asyncpg.connect(with_database(url, name))
            try:
                await migrate(conn)
            finally:
                await conn.close()
            yield with_database(url, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
