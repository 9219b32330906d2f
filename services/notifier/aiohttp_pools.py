"""The notifier's pools on aiohttp: one `ClientSession` per subscription and receiver origin.

Same shape as `origin_pools.OriginClients` (httpx): each pool is sized to the per-subscription
bound, pools unused for a while are closed, all share one TLS context. The URL guard holds the
same way: the connector's resolver is `GuardedResolver`, which resolves the host once per
connection, checks every address and hands aiohttp only those checked addresses to connect to
(aiohttp's DNS cache is off, so each new connection resolves and checks again). TLS verifies the
certificate against the host name, which aiohttp takes from the URL, not from the address.
aiohttp never resolves a host that is an IP literal, so such an origin is checked when its
session is opened: the address cannot change, and the session connects to nothing else.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Mapping
from uuid import UUID

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from services.notifier.origin_pools import (
    IDLE_CLOSE_SECONDS,
    MAX_RESPONSE_BYTES,
    Answer,
    IdlePools,
    SendFailedError,
    pool_key,
)
from shared.webhooks.url_guard import Allowlist, safe_addresses


class GuardedResolver(AbstractResolver):
    """Resolves through the URL guard: only checked addresses, or UnsafeUrlError."""

    def __init__(self, allowlist: Allowlist) -> None:
        self._allowlist = allowlist

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of `host` the guard admits, in the order it checked them."""
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET if address.version == 4 else socket.AF_INET6,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in await safe_addresses(host, port, self._allowlist)
        ]

    async def close(self) -> None:
        """Nothing to close."""


class AiohttpOriginClients:
    """The aiohttp sessions of a notifier, one per (subscription, origin), made on first use."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        connections: int,
        timeout: float,
        idle_close_seconds: float = IDLE_CLOSE_SECONDS,
    ) -> None:
        self._allowlist = allowlist
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl_context = ssl.create_default_context()
        self._sessions = IdlePools[aiohttp.ClientSession](
            idle_close_seconds, aiohttp.ClientSession.close
        )

    def __len__(self) -> int:
        return len(self._sessions)

    async def post(
        self, subscription_id: UUID, url: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """POST `body` to `url` through this subscription's session for its origin."""
        session = self._sessions.use(pool_key(subscription_id, url))
        if session is None:
            session = await self.open(subscription_id, url)
        try:
            async with session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                answer = Answer(response.status, response.headers.get("retry-after"))
                read = 0
                async for chunk in response.content.iter_any():
                    read += len(chunk)
                    if read > MAX_RESPONSE_BYTES:
                        break  # released unread: the connection is closed, not reused
                return answer
        except TimeoutError:
            raise  # aiohttp's timeouts are ClientErrors too; the sender says "timed out"
        except aiohttp.ClientError as error:
            raise SendFailedError(f"{type(error).__name__}: {error}") from error

    async def open(self, subscription_id: UUID, url: str) -> aiohttp.ClientSession:
        """The session for `url` of this subscription, opened if there is none."""
        key = pool_key(subscription_id, url)
        session = self._sessions.use(key)
        if session is None:
            _, _, host, port = key
            if _is_ip_literal(host):  # raises UnsafeUrlError unless the guard admits it
                await safe_addresses(host, port or 0, self._allowlist)
            connector = aiohttp.TCPConnector(
                limit=self._connections,
                resolver=GuardedResolver(self._allowlist),
                use_dns_cache=False,
                ssl=self._ssl_context,
            )
            session = self._sessions.add(
                key,
                aiohttp.ClientSession(
                    connector=connector,
                    timeout=self._timeout,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    trust_env=False,
                    auto_decompress=False,
                    skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
                ),
            )
        return session

    async def close_idle(self, in_use: set[UUID]) -> None:
        """Close the sessions of subscriptions not sending now and unused for a while."""
        await self._sessions.close_idle(in_use)

    async def aclose(self) -> None:
        """Close every session."""
        await self._sessions.aclose()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
