"""Every range of IANA's special-purpose address registries, IPv4 and IPv6, against the URL guard.

The two tables below are the registries written out as data (iana-ipv4-special-registry and
iana-ipv6-special-registry): each row is the block, a sample address inside it, whether the
guard refuses the sample, the registry's "Globally Reachable" column (True, False, or None for
N/A) and the registry's name for the block. Where blocks nest (192.0.0.0/24 and 192.0.0.9/32,
2001::/23 and 2001:3::/32), the most specific one decides, as the registry means it.

A block the registry marks globally reachable is allowed; one it marks not globally reachable,
or N/A, is refused, except for the forms that carry an IPv4 address (IPv4-mapped, NAT64's
64:ff9b::/96, Teredo, 6to4): those are decided by the IPv4 address inside, so their samples
here carry a global one, and the second table tries them with internal ones.

Where this differs from Python's `ipaddress.is_global` (which depends on the Python version:
3.11.10, 3.12.4 and 3.13 updated its tables) is told in docs/webhooks.md, "The URL guard".
"""

from __future__ import annotations

import ipaddress

import pytest

from shared.webhooks.url_guard import Allowlist, UnsafeUrlError, check_url, is_internal

REFUSED = True
ALLOWED = False
NA = None  # the registry's "Globally Reachable" column says N/A

# block, sample, refused, globally reachable per the registry, the registry's name
Row = tuple[str, str, bool, bool | None, str]

IPV4_REGISTRY: list[Row] = [
    ("0.0.0.0/8", "0.1.2.3", REFUSED, False, '"This network"'),
    ("0.0.0.0/32", "0.0.0.0", REFUSED, False, '"This host on this network"'),  # noqa: S104
    ("10.0.0.0/8", "10.20.30.40", REFUSED, False, "Private-Use"),
    ("100.64.0.0/10", "100.64.0.1", REFUSED, False, "Shared Address Space"),
    ("127.0.0.0/8", "127.0.0.1", REFUSED, False, "Loopback"),
    ("169.254.0.0/16", "169.254.1.2", REFUSED, False, "Link Local"),
    ("172.16.0.0/12", "172.31.255.254", REFUSED, False, "Private-Use"),
    ("192.0.0.0/24", "192.0.0.100", REFUSED, False, "IETF Protocol Assignments"),
    ("192.0.0.0/29", "192.0.0.1", REFUSED, False, "IPv4 Service Continuity Prefix"),
    ("192.0.0.8/32", "192.0.0.8", REFUSED, False, "IPv4 dummy address"),
    ("192.0.0.9/32", "192.0.0.9", ALLOWED, True, "Port Control Protocol Anycast"),
    ("192.0.0.10/32", "192.0.0.10", ALLOWED, True, "Traversal Using Relays around NAT Anycast"),
    ("192.0.0.170/32", "192.0.0.170", REFUSED, False, "NAT64/DNS64 Discovery"),
    ("192.0.0.171/32", "192.0.0.171", REFUSED, False, "NAT64/DNS64 Discovery"),
    ("192.0.2.0/24", "192.0.2.1", REFUSED, False, "Documentation (TEST-NET-1)"),
    ("192.31.196.0/24", "192.31.196.1", ALLOWED, True, "AS112-v4"),
    ("192.52.193.0/24", "192.52.193.1", ALLOWED, True, "AMT"),
    ("192.88.99.0/24", "192.88.99.1", REFUSED, NA, "Deprecated (6to4 Relay Anycast)"),
    ("192.168.0.0/16", "192.168.1.1", REFUSED, False, "Private-Use"),
    ("192.175.48.0/24", "192.175.48.1", ALLOWED, True, "Direct Delegation AS112 Service"),
    ("198.18.0.0/15", "198.19.255.1", REFUSED, False, "Benchmarking"),
    ("198.51.100.0/24", "198.51.100.1", REFUSED, False, "Documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "203.0.113.1", REFUSED, False, "Documentation (TEST-NET-3)"),
    ("240.0.0.0/4", "240.0.0.1", REFUSED, False, "Reserved"),
    ("255.255.255.255/32", "255.255.255.255", REFUSED, False, "Limited Broadcast"),
]

IPV6_REGISTRY: list[Row] = [
    ("::1/128", "::1", REFUSED, False, "Loopback Address"),
    ("::/128", "::", REFUSED, False, "Unspecified Address"),
    # Never on the wire: a socket connecting to it speaks IPv4 to the address inside.
    ("::ffff:0:0/96", "::ffff:8.8.8.8", ALLOWED, False, "IPv4-mapped Address"),
    ("64:ff9b::/96", "64:ff9b::8.8.8.8", ALLOWED, True, "IPv4-IPv6 Translat."),
    ("64:ff9b:1::/48", "64:ff9b:1::808:808", REFUSED, False, "IPv4-IPv6 Translat."),
    ("100::/64", "100::1", REFUSED, False, "Discard-Only Address Block"),
    ("100:0:0:1::/64", "100:0:0:1::1", REFUSED, False, "Dummy IPv6 Prefix"),
    ("2001::/23", "2001:5::1", REFUSED, False, "IETF Protocol Assignments"),
    # Server 8.8.8.8 (bits 32-63), client 1.1.1.1 (the last 32 bits, inverted).
    ("2001::/32", "2001:0:808:808::fefe:fefe", ALLOWED, NA, "TEREDO"),
    ("2001:1::1/128", "2001:1::1", ALLOWED, True, "Port Control Protocol Anycast"),
    ("2001:1::2/128", "2001:1::2", ALLOWED, True, "Traversal Using Relays around NAT Anycast"),
    (
        "2001:1::3/128",
        "2001:1::3",
        ALLOWED,
        True,
        "DNS-SD Service Registration Protocol Anycast Address",
    ),
    ("2001:2::/48", "2001:2::1", REFUSED, False, "Benchmarking"),
    ("2001:3::/32", "2001:3::1", ALLOWED, True, "AMT"),
    ("2001:4:112::/48", "2001:4:112::1", ALLOWED, True, "AS112-v6"),
    ("2001:10::/28", "2001:10::1", REFUSED, NA, "Deprecated (previously ORCHID)"),
    ("2001:20::/28", "2001:20::1", ALLOWED, True, "ORCHIDv2"),
    (
        "2001:30::/28",
        "2001:30::1",
        ALLOWED,
        True,
        "Drone Remote ID Protocol Entity Tags (DETs) Prefix",
    ),
    ("2001:db8::/32", "2001:db8::1", REFUSED, False, "Documentation"),
    ("2002::/16", "2002:808:808::1", ALLOWED, NA, "6to4"),  # 6to4 of 8.8.8.8
    ("2620:4f:8000::/48", "2620:4f:8000::1", ALLOWED, True, "Direct Delegation AS112 Service"),
    ("3fff::/20", "3fff::1", REFUSED, False, "Documentation"),
    ("5f00::/16", "5f00::1", REFUSED, False, "Segment Routing (SRv6) SIDs"),
    ("fc00::/7", "fd12:3456::1", REFUSED, False, "Unique-Local"),
    ("fe80::/10", "fe80::1", REFUSED, False, "Link-Local Unicast"),
]

# The blocks whose verdict is the IPv4 address they carry, not the block's own.
CARRYING_IPV4 = {"::ffff:0:0/96", "64:ff9b::/96", "2001::/32", "2002::/16"}

REGISTRY = IPV4_REGISTRY + IPV6_REGISTRY


def _row_id(row: Row) -> str:
    return f"{row[0]} {row[4]}"


@pytest.mark.parametrize("row", REGISTRY, ids=[_row_id(row) for row in REGISTRY])
def test_every_registry_block_gets_its_verdict(row: Row) -> None:
    block, sample, refused, reachable, _ = row
    address = ipaddress.ip_address(sample)
    assert address in ipaddress.ip_network(block)

    assert is_internal(address) is refused
    if block not in CARRYING_IPV4:  # the registry's own column decides, N/A counting as no
        assert refused is (reachable is not True)


def _uniform(row: Row) -> bool:
    """No other block lies inside this one, and it carries no IPv4 address: one verdict for all."""
    block = ipaddress.ip_network(row[0])
    return row[0] not in CARRYING_IPV4 and not any(
        other[0] != row[0]
        and block.version == ipaddress.ip_network(other[0]).version
        and ipaddress.ip_network(other[0]).subnet_of(block)  # type: ignore[arg-type]
        for other in REGISTRY
    )


UNIFORM = [row for row in REGISTRY if _uniform(row)]


@pytest.mark.parametrize("row", UNIFORM, ids=[_row_id(row) for row in UNIFORM])
def test_the_first_and_last_address_of_a_block_get_its_verdict(row: Row) -> None:
    block = ipaddress.ip_network(row[0])

    assert is_internal(block[0]) is row[2]
    assert is_internal(block[-1]) is row[2]


# address, refused, what it carries
EMBEDDED: list[tuple[str, bool, str]] = [
    ("::ffff:127.0.0.1", REFUSED, "IPv4-mapped loopback"),
    ("::ffff:100.64.0.1", REFUSED, "IPv4-mapped shared address space"),
    ("::ffff:192.0.0.9", ALLOWED, "IPv4-mapped PCP anycast, globally reachable"),
    ("64:ff9b::127.0.0.1", REFUSED, "NAT64 of loopback"),
    ("64:ff9b::10.0.0.1", REFUSED, "NAT64 of private-use"),
    ("64:ff9b::100.64.0.1", REFUSED, "NAT64 of shared address space"),
    ("64:ff9b::169.254.169.254", REFUSED, "NAT64 of the metadata service"),
    ("64:ff9b:1::127.0.0.1", REFUSED, "local-use NAT64 of loopback"),
    ("64:ff9b:1::8.8.8.8", REFUSED, "local-use NAT64 is not global, whatever it carries"),
    ("2002:7f00:1::1", REFUSED, "6to4 of loopback (issue 16)"),
    ("2002:a00:1::1", REFUSED, "6to4 of private-use"),
    ("2002:6440:1::1", REFUSED, "6to4 of shared address space"),
    ("2002:a9fe:a9fe::1", REFUSED, "6to4 of the metadata service"),
    ("2002:c000:9::1", ALLOWED, "6to4 of PCP anycast, globally reachable"),
    ("2001:0:7f00:1::fefe:fefe", REFUSED, "Teredo with a loopback server"),
    ("2001:0:a00:1::fefe:fefe", REFUSED, "Teredo with a private-use server"),
    ("2001:0:808:808::80ff:fffe", REFUSED, "Teredo with a loopback client (inverted)"),
    ("2001:0:808:808::f5ff:fffe", REFUSED, "Teredo with a private-use client (inverted)"),
    ("2001:0:808:808::9bbf:fffe", REFUSED, "Teredo with a shared-address-space client"),
    ("2001:0:808:808::7f00:1", ALLOWED, "Teredo: 127.0.0.1 not inverted is client 128.255.255.254"),
    ("::127.0.0.1", REFUSED, "IPv4-compatible loopback"),
    ("::10.0.0.1", REFUSED, "IPv4-compatible private-use"),
    ("::8.8.8.8", REFUSED, "IPv4-compatible is deprecated: refused whatever it carries"),
    ("::ffff:0:127.0.0.1", REFUSED, "IPv4-translated (SIIT), in ::/8, reserved by the IETF"),
]


@pytest.mark.parametrize(
    ("address", "refused"),
    [(address, refused) for address, refused, _ in EMBEDDED],
    ids=[why for _, _, why in EMBEDDED],
)
def test_the_ipv4_address_inside_decides(address: str, refused: bool) -> None:
    assert is_internal(ipaddress.ip_address(address)) is refused


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("224.0.0.1", REFUSED),
        ("239.255.255.250", REFUSED),
        ("ff02::1", REFUSED),
        ("ff0e::1", REFUSED),
        ("fec0::1", REFUSED),  # deprecated site-local
        ("4000::1", REFUSED),  # outside 2000::/3, not assigned for unicast
        ("::2", REFUSED),  # IPv4-compatible 0.0.0.2
        ("8.8.8.8", ALLOWED),
        ("100.63.255.255", ALLOWED),
        ("100.128.0.0", ALLOWED),
        ("192.0.1.1", ALLOWED),
        ("198.20.0.1", ALLOWED),
        ("2606:4700:4700::1111", ALLOWED),
        ("2001:200::1", ALLOWED),  # just past 2001::/23
        ("2003::1", ALLOWED),  # just past 2002::/16
    ],
)
def test_addresses_outside_the_registries(address: str, refused: bool) -> None:
    assert is_internal(ipaddress.ip_address(address)) is refused


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://100.64.0.1/", r"100\.64\.0\.1, an internal address \(Shared Address Space\)"),
        ("http://[2002:7f00:1::1]/", r"2002:7f00:1::1, an internal address \(6to4 of 127\.0\.0\.1"),
        ("http://[64:ff9b::7f00:1]/", r"NAT64 of 127\.0\.0\.1"),
        ("http://[2001:0:808:808::80ff:fffe]/", r"Teredo client 127\.0\.0\.1"),
        ("http://[::ffff:100.64.0.1]/", r"IPv4-mapped 100\.64\.0\.1"),
        ("http://[::7f00:1]/", r"IPv4-compatible"),
    ],
    ids=["shared address space", "6to4", "NAT64", "Teredo", "IPv4-mapped", "IPv4-compatible"],
)
async def test_the_refusal_says_which_block(url: str, why: str) -> None:
    with pytest.raises(UnsafeUrlError, match=why):
        await check_url(url, Allowlist())


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://100.64.0.1/", "100.64.0.0/10"),
        ("http://[2002:7f00:1::1]/", "2002::/16"),
        ("http://[64:ff9b::a00:1]/", "64:ff9b::/96"),
    ],
)
async def test_the_allowlist_still_opens_them(url: str, allowed: str) -> None:
    await check_url(url, Allowlist.parse(allowed))


async def test_allowing_an_ipv4_block_does_not_allow_it_wrapped_in_ipv6() -> None:
    loopback = Allowlist.parse("127.0.0.0/8")

    await check_url("http://127.0.0.1/", loopback)
    with pytest.raises(UnsafeUrlError, match="internal address"):
        await check_url("http://[2002:7f00:1::1]/", loopback)
