"""One HTTP connection pool per subscription and receiver origin, instead of one shared pool.

A shared pool of 64 connections costs CPU on every request (httpcore checks each of its
connections for expiry before it assigns one), and it mixes every receiver's connections:
a dead receiver's connections sit among the healthy ones'. Here each subscription's origin
(scheme, host, port) gets a client of its own, its pool sized to the per-subscription bound
on deliveries in flight, so a send never waits for a connection another receiver holds, and
a pool scan looks at a handful of connections. Every pool connects through the guarded
transport, so the URL guard holds for each of them; all share one TLS context.

Pools unused for a while are closed, so a subscription that was deleted or moved to another
URL does not keep its connections.

Two HTTP clients can do this, chosen by `IRM_WEBHOOK_HTTP_CLIENT`: httpx (here) and aiohttp
(`aiohttp_pools.py`); the sender sees only `OriginSenders`. docs/performance.md has their
measured comparison.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final, Generic, Protocol, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import httpx

from services.notifier.guarded_transport import GuardedTransport
from shared.webhooks.url_guard import Allowlist

IDLE_CLOSE_SECONDS: Final = 120.0
MAX_RESPONSE_BYTES: Final = 64 * 1024  # read further, a receiver would cost us memory

PoolKey = tuple[UUID, str, str, int | None]


class SendFailedError(Exception):
    """The request got no answer (refused, reset, protocol error); the message says how."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the sender needs of a receiver's answer: its status and Retry-After."""

    status_code: int
    retry_after: str | None


class OriginSenders(Protocol):
    """POSTs through one pool per (subscription, origin), connecting only where the URL guard
    allows; raises UnsafeUrlError, TimeoutError or SendFailedError when there is no answer."""

    def __len__(self) -> int:
        """How many pools are open."""

    async def post(
        self, subscription_id: UUID, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """POST `body` and read the answer (up to MAX_RESPONSE_BYTES of it)."""

    async def close_idle(self, in_use: set[UUID]) -> None:
        """Close the pools of subscriptions not sending now and unused for a while."""

    async def aclose(self) -> None:
        """Close every pool."""


Pool = TypeVar("Pool")


class IdlePools(Generic[Pool]):
    """Pools by (subscription, origin), each noted when last used, so that the pools of
    subscriptions idle for a while can be closed; both HTTP clients keep theirs here."""

    def __init__(
        self, idle_close_seconds: float, close: Callable[[Pool], Awaitable[object]]
    ) -> None:
        self._idle_close = idle_close_seconds
        self._close = close
        self._pools: dict[PoolKey, Pool] = {}
        self._last_used: dict[PoolKey, float] = {}

    def __len__(self) -> int:
        return len(self._pools)

    def use(self, key: PoolKey) -> Pool | None:
        """The pool for `key`, noted as used now; None when it has none yet (`add` it)."""
        self._last_used[key] = time.monotonic()
        return self._pools.get(key)

    def add(self, key: PoolKey, pool: Pool) -> Pool:
        self._pools[key] = pool
        return pool

    async def close_idle(self, in_use: set[UUID]) -> None:
        """Close the pools of subscriptions not sending now and unused for a while."""
        cutoff = time.monotonic() - self._idle_close
        idle = [k for k, at in self._last_used.items() if at < cutoff and k[0] not in in_use]
        for key in idle:
            del self._last_used[key]
            await self._close(self._pools.pop(key))

    async def aclose(self) -> None:
        """Close every pool."""
        pools = list(self._pools.values())
        self._pools.clear()
        self._last_used.clear()
        for pool in pools:
            await self._close(pool)


class OriginClients:
    """The clients of a notifier, one per (subscription, origin), made on first use."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        connections: int,
        timeout: float,
        idle_close_seconds: float = IDLE_CLOSE_SECONDS,
    ) -> None:
        self._allowlist = allowlist
        self._limits = httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections
        )
        self._timeout = timeout
        self._ssl_context = httpx.create_ssl_context(trust_env=False)
        self._clients = IdlePools[httpx.AsyncClient](idle_close_seconds, httpx.AsyncClient.aclose)

    def __len__(self) -> int:
        return len(self._clients)

    async def post(
        self, subscription_id: UUID, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """POST `body` to `url` through this subscription's pool for its origin."""
        client = self.client(subscription_id, url)
        try:
            async with client.stream("POST", url, content=body, headers=headers) as response:
                answer = Answer(response.status_code, response.headers.get("retry-after"))
                await _drain(response)
                return answer
        except httpx.TimeoutException as error:
            raise TimeoutError from error
        except httpx.HTTPError as error:
            raise SendFailedError(f"{type(error).__name__}: {error}") from error

    def client(self, subscription_id: UUID, url: str) -> httpx.AsyncClient:
        """The client for `url` of this subscription."""
        key = pool_key(subscription_id, url)
        client = self._clients.use(key)
        if client is None:
            transport = GuardedTransport(
                self._allowlist, limits=self._limits, ssl_context=self._ssl_context
            )
            client = self._clients.add(
                key,
                httpx.AsyncClient(
                    transport=transport,
                    timeout=self._timeout,
                    follow_redirects=False,
                    trust_env=False,
                ),
            )
        return client

    async def close_idle(self, in_use: set[UUID]) -> None:
        """Close the pools of subscriptions not sending now and unused for a while."""
        await self._clients.close_idle(in_use)

    async def aclose(self) -> None:
        """Close every pool."""
        await self._clients.aclose()


async def _drain(response: httpx.Response) -> None:
    """Read a short answer to its end, so its connection goes back to the pool for the next
    delivery; a long one is dropped unread, so a receiver cannot cost us memory."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > MAX_RESPONSE_BYTES:
            return


def pool_key(subscription_id: UUID, url: str) -> PoolKey:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None  # the URL guard refuses it before any connection
    return (subscription_id, parts.scheme.lower(), (parts.hostname or "").lower(), port)
