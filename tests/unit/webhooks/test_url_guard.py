"""The URL guard: webhooks go to the outside world, never into our own network, unless allowed.

Nothing here connects anywhere: the guard only parses and resolves, and the tests that need a
host name resolving to an internal address give the event loop a fake resolver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from shared.webhooks.url_guard import Allowlist, UnsafeUrlError, check_url, is_internal

NOTHING_ALLOWED = Allowlist()
LOOPBACK_ALLOWED = Allowlist.parse("127.0.0.0/8,::1")
PUBLIC = "93.184.215.14"  # a global address; only ever parsed, never contacted


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://127.1.2.3:8080/hooks",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/",
        "http://[::1]/",
        "http://[fc00::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://255.255.255.255/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.64.0.1/",
        "http://[2002:7f00:1::1]/",
        "https://127.0.0.1:8443/hooks",
    ],
    ids=lambda url: url.split("/")[2],
)
async def test_an_internal_address_is_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="internal address"):
        await check_url(url, NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url",
    ["http://localhost/hooks", "http://LocalHost:8080/hooks", "http://localhost./hooks"],
)
async def test_a_name_resolving_to_loopback_is_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match=r"localhost resolves to 127\.0\.0\.1"):
        await check_url(url, NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url",
    ["http://2130706433/", "http://0x7f.1/", "http://127.1/"],
    ids=["decimal", "hex", "short form"],
)
async def test_other_spellings_of_loopback_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match=r"resolves to 127\.0\.0\.1"):
        await check_url(url, NOTHING_ALLOWED)


@pytest_asyncio.fixture(loop_scope="session")
async def resolver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, list[str]]]:
    """Names the event loop resolves to the addresses the test chooses (no DNS involved)."""
    answers: dict[str, list[str]] = {}
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    yield answers


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fc00::1",
        "2002:7f00:1::1",
    ],
)
async def test_a_name_resolving_to_an_internal_address_is_refused(
    resolver: dict[str, list[str]], address: str
) -> None:
    resolver["hooks.example.com"] = [address]

    with pytest.raises(UnsafeUrlError, match=f"hooks.example.com resolves to {address}"):
        await check_url("https://hooks.example.com/irm", NOTHING_ALLOWED)


async def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    resolver: dict[str, list[str]],
) -> None:
    resolver["hooks.example.com"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.0.0.1"]

    with pytest.raises(UnsafeUrlError, match=r"10\.0\.0\.1"):
        await check_url("https://hooks.example.com/irm", NOTHING_ALLOWED)


async def test_a_name_resolving_only_to_public_addresses_is_accepted(
    resolver: dict[str, list[str]],
) -> None:
    resolver["hooks.example.com"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    await check_url("https://hooks.example.com/irm", NOTHING_ALLOWED)


async def test_a_name_that_does_not_resolve_is_refused(resolver: dict[str, list[str]]) -> None:
    with pytest.raises(UnsafeUrlError, match="does not resolve"):
        await check_url("https://nowhere.example.com/irm", NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url",
    [f"http://{PUBLIC}/hooks", f"https://{PUBLIC}:8443/hooks?x=1", f"HTTPS://{PUBLIC}/"],
)
async def test_a_public_http_or_https_address_is_accepted(url: str) -> None:
    await check_url(url, NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://{PUBLIC}/hooks",
        "file:///etc/passwd",
        f"gopher://{PUBLIC}/",
        "javascript:alert(1)",
        f"//{PUBLIC}/hooks",
        f"{PUBLIC}/hooks",
    ],
)
async def test_only_http_and_https_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="only http and https"):
        await check_url(url, LOOPBACK_ALLOWED)


@pytest.mark.parametrize(
    "url", [f"https://user:secret@{PUBLIC}/hooks", f"https://token@{PUBLIC}/hooks"]
)
async def test_credentials_in_the_url_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="credentials"):
        await check_url(url, NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC}:99999/",
        f"http://{PUBLIC}:http/",
        f"http://{PUBLIC}:-1/",
        f"http://{PUBLIC}:0/",
    ],
)
async def test_a_bad_port_is_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="port"):
        await check_url(url, NOTHING_ALLOWED)


@pytest.mark.parametrize("url", ["http:///hooks", "https://:443/hooks"])
async def test_a_url_without_a_host_is_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="no host"):
        await check_url(url, NOTHING_ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://127.9.9.9/",
        "http://[::1]:9/hooks",
        "http://localhost:9/",
    ],
)
async def test_the_allowlist_admits_loopback_by_cidr(url: str) -> None:
    await check_url(url, LOOPBACK_ALLOWED)


async def test_the_allowlist_admits_a_host_by_name() -> None:
    allowlist = Allowlist.parse("localhost")

    await check_url("http://localhost:9/hooks", allowlist)
    with pytest.raises(UnsafeUrlError):
        await check_url("http://127.0.0.1:9/hooks", allowlist)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/", "http://169.254.169.254/", "http://[fc00::1]/"]
)
async def test_the_allowlist_opens_only_what_it_lists(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        await check_url(url, LOOPBACK_ALLOWED)


async def test_the_allowlist_does_not_open_the_other_checks() -> None:
    with pytest.raises(UnsafeUrlError, match="only http and https"):
        await check_url("ftp://127.0.0.1/", LOOPBACK_ALLOWED)
    with pytest.raises(UnsafeUrlError, match="credentials"):
        await check_url("http://user:pw@127.0.0.1/", LOOPBACK_ALLOWED)


def test_the_allowlist_parses_cidrs_addresses_and_host_names() -> None:
    allowlist = Allowlist.parse(" 127.0.0.0/8, ::1 ,10.1.2.3,, Hooks.Internal. ,192.168.1.7/24")

    assert allowlist.networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.1.2.3/32"),
        ipaddress.ip_network("192.168.1.0/24"),
    )
    assert allowlist.hosts == frozenset({"hooks.internal"})


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_an_empty_allowlist_allows_nothing(text: str) -> None:
    assert Allowlist.parse(text) == Allowlist()


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("127.0.0.1", True),
        ("10.255.255.255", True),
        ("172.31.0.1", True),
        ("192.168.0.1", True),
        ("169.254.0.1", True),
        ("169.254.169.254", True),
        ("100.100.100.200", True),
        ("224.0.0.251", True),
        ("0.0.0.0", True),  # noqa: S104 - an address to refuse, not one to bind
        ("::1", True),
        ("fd12:3456::1", True),
        ("fe80::abcd", True),
        ("ff05::2", True),
        ("::ffff:192.168.0.1", True),
        ("100.64.0.1", True),
        ("2002:7f00:1::1", True),
        (PUBLIC, False),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_which_addresses_are_internal(address: str, internal: bool) -> None:
    assert is_internal(ipaddress.ip_address(address)) is internal
