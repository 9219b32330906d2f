"""Time zones by IANA name (zoneinfo), the zones people and schedules live in."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones


@cache
def known_time_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine's tz database has, sorted."""
    return tuple(sorted(available_timezones()))


def zone(name: str) -> ZoneInfo:
    """The zone named `name`; ValueError if there is no such zone."""
    if name not in _known():
        raise ValueError(f"{name!r} is not an IANA time zone, e.g. Europe/Berlin")
    return _zone(name)


@cache
def _known() -> frozenset[str]:
    return frozenset(known_time_zones())


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
