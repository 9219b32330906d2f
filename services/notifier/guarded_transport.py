"""An HTTP transport that connects only to addresses the URL guard has just checked.

Checking a URL and then letting the HTTP client resolve its host again leaves a gap: a DNS
server that answers a public address to the check and 127.0.0.1 to the connection (DNS
rebinding) would get a webhook into the internal network. Here the name is resolved once, per
connection, by the network backend itself; the addresses are checked and the socket is opened
to one of those very addresses. TLS still verifies the certificate against the host name, which
httpcore takes from the request, not from the address connected to.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import httpx

from shared.webhooks.url_guard import Allowlist, UnsafeUrlError, safe_addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked addresses; no unix sockets."""

    def __init__(self, allowlist: Allowlist) -> None:
        self._allowlist = allowlist
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check `host`, then connect to the first of its addresses that answers."""
        failure: httpcore.ConnectError | None = None
        for address in await safe_addresses(host, port, self._allowlist):
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: webhooks go over TCP."""
        raise UnsafeUrlError("webhooks are not sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        """As the default backend sleeps."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with a connection pool on the guarded backend."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        limits: httpx.Limits,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        # Loading the CA bundle is the costly part (tens of ms): once, for httpx's pool and
        # ours, or once for every transport of a notifier when it passes its own.
        if ssl_context is None:
            ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx takes no network backend, so its pool is replaced by one built the same way
        # (see httpx.AsyncHTTPTransport.__init__) on ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(allowlist),
        )
