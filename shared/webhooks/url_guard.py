"""Refuse webhook URLs that point inside the network (SSRF), unless explicitly allowed.

Checked when a subscription is saved and again before every delivery, after DNS resolution,
so a name that later resolves to a private address (DNS rebinding) is caught too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata services that are not already private or link-local.
_METADATA: Final = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
    ipaddress.ip_network("100.100.100.200/32"),
)


class UnsafeUrlError(Exception):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Allowlist:
    """Targets that are allowed even though they are internal: CIDRs and host names."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Allowlist:
        """From `IRM_WEBHOOK_ALLOWED_TARGETS`: comma-separated CIDRs or host names."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(networks=tuple(networks), hosts=frozenset(hosts))

    def admits(self, host: str, address: IPAddress) -> bool:
        """Whether this host name or address is explicitly allowed."""
        return host in self.hosts or any(address in network for network in self.networks)


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, unique-local, multicast, reserved or metadata."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_internal(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address in network for network in _METADATA)
    )


async def check_url(url: str, allowlist: Allowlist) -> None:
    """Raise UnsafeUrlError unless `url` is http(s) and every address it resolves to is safe."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrlError("only http and https URLs can receive webhooks")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UnsafeUrlError("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrlError("credentials in the URL are not allowed; use the signing secret")
    try:
        port = parts.port
    except ValueError as error:
        raise UnsafeUrlError("the URL's port is not valid") from error
    if port == 0:  # no receiver listens on it, and `port or …` below would take it for none
        raise UnsafeUrlError("the URL's port is not valid")
    await safe_addresses(host, port or (443 if parts.scheme == "https" else 80), allowlist)


async def safe_addresses(host: str, port: int, allowlist: Allowlist) -> list[IPAddress]:
    """Resolve `host`; raise UnsafeUrlError if any address is internal and not allowed."""
    host = host.lower().rstrip(".")
    addresses = sorted(await _resolve(host, port), key=lambda a: (a.version, int(a)))
    for address in addresses:
        if is_internal(address) and not allowlist.admits(host, address):
            raise UnsafeUrlError(
                f"{host} resolves to {address}, an internal address; "
                "add it to IRM_WEBHOOK_ALLOWED_TARGETS to allow it"
            )
    return addresses


async def _resolve(host: str, port: int) -> Iterable[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeUrlError(f"{host} does not resolve: {error.strerror}") from error
    return {ipaddress.ip_address(info[4][0]) for info in infos}
