"""What the console benchmarks share: `irm serve` on a fresh database, incidents, and signing in
to the console as a browser does (the sign-in form with its double-submitted CSRF token)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bench.http_servers import Server, declare_incidents, prepare_database, start_server
from bench.processes import supervised
from bench.server import bench_database, server_url

SESSION_COOKIE = "irm_console"
SIGN_IN_COOKIE = "irm_console_sign_in"


@dataclass(frozen=True, slots=True)
class Served:
    """`irm serve` running on a benchmark database, with a write token for it."""

    server: Server
    token: str
    database_url: str


@asynccontextmanager
async def irm_serve(database_server: str | None = None) -> AsyncIterator[Served]:
    """A fresh database (on `database_server`, or a private embedded PostgreSQL) and `irm serve`
    (API + console + projector + notifier) on 127.0.0.1; all stopped and dropped on exit."""
    if database_server is None:
        async with server_url() as url, _serve(url) as served:
            yield served
    else:
        async with _serve(database_server) as served:
            yield served


@asynccontextmanager
async def _serve(url: str) -> AsyncIterator[Served]:
    async with bench_database(url) as database, supervised() as supervisor:
        token = await prepare_database(database)
        server = await start_server(supervisor, "ours", database)
        yield Served(server, token, database)


async def declare(served: Served, count: int) -> list[str]:
    """Declare `count` open incidents through the API; their ids."""
    return await declare_incidents(served.server, served.token, count)


async def sign_in(base_url: str, token: str) -> str:
    """Sign in to the console as a browser does; returns the session cookie's secret."""
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30) as client:
        form = await client.get("/ui/sign-in")
        form.raise_for_status()
        csrf = form.cookies[SIGN_IN_COOKIE]
        answer = await client.post(
            "/ui/sign-in",
            data={"token": token, "csrf_token": csrf, "next": "/ui/"},
        )
        if answer.status_code != 303 or SESSION_COOKIE not in answer.cookies:
            raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
        return str(answer.cookies[SESSION_COOKIE])
