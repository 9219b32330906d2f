"""Refuse webhook URLs that point inside the network (SSRF), unless explicitly allowed.

Inside means every block of IANA's special-purpose address registries (IPv4 and IPv6) that is
not globally reachable, multicast, IPv6 outside 2000::/3, and the IPv6 forms that carry an
internal IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo); docs/webhooks.md,
"The URL guard", has the list.

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


@dataclass(frozen=True)
class _Block:
    """One entry of an IANA special-purpose address registry."""

    network: IPNetwork
    name: str
    globally_reachable: bool | None  # None: the registry says N/A


def _blocks(*rows: tuple[str, str, bool | None]) -> tuple[_Block, ...]:
    """Most specific first, so the first block that holds an address is the one that decides."""
    blocks = [_Block(ipaddress.ip_network(cidr), name, reachable) for cidr, name, reachable in rows]
    return tuple(sorted(blocks, key=lambda block: -block.network.prefixlen))


# https://www.iana.org/assignments/iana-ipv4-special-registry/
_IPV4_SPECIAL: Final = _blocks(
    ("0.0.0.0/8", '"This network"', False),
    ("0.0.0.0/32", '"This host on this network"', False),
    ("10.0.0.0/8", "Private-Use", False),
    ("100.64.0.0/10", "Shared Address Space", False),
    ("127.0.0.0/8", "Loopback", False),
    ("169.254.0.0/16", "Link Local", False),
    ("172.16.0.0/12", "Private-Use", False),
    ("192.0.0.0/24", "IETF Protocol Assignments", False),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", False),
    ("192.0.0.8/32", "IPv4 dummy address", False),
    ("192.0.0.9/32", "Port Control Protocol Anycast", True),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", True),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", False),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", False),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", False),
    ("192.31.196.0/24", "AS112-v4", True),
    ("192.52.193.0/24", "AMT", True),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", None),
    ("192.168.0.0/16", "Private-Use", False),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", True),
    ("198.18.0.0/15", "Benchmarking", False),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", False),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", False),
    ("240.0.0.0/4", "Reserved", False),
    ("255.255.255.255/32", "Limited Broadcast", False),
)

# https://www.iana.org/assignments/iana-ipv6-special-registry/
_IPV6_SPECIAL: Final = _blocks(
    ("::1/128", "Loopback Address", False),
    ("::/128", "Unspecified Address", False),
    ("::ffff:0:0/96", "IPv4-mapped Address", False),
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", True),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", False),
    ("100::/64", "Discard-Only Address Block", False),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", False),
    ("2001::/23", "IETF Protocol Assignments", False),
    ("2001::/32", "TEREDO", None),
    ("2001:1::1/128", "Port Control Protocol Anycast", True),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", True),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast Address", True),
    ("2001:2::/48", "Benchmarking", False),
    ("2001:3::/32", "AMT", True),
    ("2001:4:112::/48", "AS112-v6", True),
    ("2001:10::/28", "Deprecated (previously ORCHID)", None),
    ("2001:20::/28", "ORCHIDv2", True),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", True),
    ("2001:db8::/32", "Documentation", False),
    ("2002::/16", "6to4", None),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", True),
    ("3fff::/20", "Documentation", False),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", False),
    ("fc00::/7", "Unique-Local", False),
    ("fe80::/10", "Link-Local Unicast", False),
)

_IPV4_MULTICAST: Final = ipaddress.IPv4Network("224.0.0.0/4")
_IPV6_MULTICAST: Final = ipaddress.IPv6Network("ff00::/8")
_IPV6_GLOBAL_UNICAST: Final = ipaddress.IPv6Network("2000::/3")
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")

# Cloud metadata services (each is inside a block refused above too; named for the message).
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
    """Whether webhooks may not go to `address`: see `internal_because`."""
    return internal_because(address) is not None


def internal_because(address: IPAddress) -> str | None:
    """Why `address` is internal, or None if it is globally reachable.

    Internal: every block of IANA's special-purpose address registries that the registry does
    not mark globally reachable (N/A counts as not), multicast, IPv6 outside 2000::/3, and the
    IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo)
    when the address inside is internal. The most specific registry block decides.
    """
    if any(address in network for network in _METADATA):
        return "cloud metadata service"
    if isinstance(address, ipaddress.IPv4Address):
        if address in _IPV4_MULTICAST:
            return "Multicast"
        block = _block_of(address, _IPV4_SPECIAL)
        return None if block is None or block.globally_reachable else block.name
    return _ipv6_because(address)


def _ipv6_because(address: ipaddress.IPv6Address) -> str | None:
    if address in _IPV6_MULTICAST:
        return "Multicast"
    carried = _carried_ipv4(address)
    if carried is not None:
        form, inner = carried
        why = internal_because(inner)
        return None if why is None else f"{form} {why}"
    block = _block_of(address, _IPV6_SPECIAL)
    if block is not None:
        return None if block.globally_reachable else block.name
    if address in _IPV4_COMPATIBLE:  # ::a.b.c.d, deprecated by RFC 4291: nothing is served there
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return f"IPv4-compatible form (deprecated) of {inner}"
    if address not in _IPV6_GLOBAL_UNICAST:
        return "outside the global unicast space 2000::/3"
    return None


def _carried_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv4-mapped, NAT64, 6to4 or Teredo address stands for, and its form.

    A Teredo address carries two: the server (bits 32-63) and the client (the last 32 bits,
    inverted); the internal one of the two is returned, else the server.
    """
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d, bits 96-127
        return f"IPv4-mapped {address.ipv4_mapped}:", address.ipv4_mapped
    if address in _NAT64:  # 64:ff9b::a.b.c.d, the last 32 bits
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return f"NAT64 of {inner}:", inner
    if address.sixtofour is not None:  # 2002:AABB:CCDD::/48, bits 16-47
        return f"6to4 of {address.sixtofour}:", address.sixtofour
    if address.teredo is not None:  # 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC
        server, client = address.teredo
        if internal_because(client) is not None and internal_because(server) is None:
            return f"Teredo client {client}:", client
        return f"Teredo server {server}:", server
    return None


def _block_of(address: IPAddress, blocks: tuple[_Block, ...]) -> _Block | None:
    return next((block for block in blocks if address in block.network), None)


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
        why = internal_because(address)
        if why is not None and not allowlist.admits(host, address):
            raise UnsafeUrlError(
                f"{host} resolves to {address}, an internal address ({why}); "
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
