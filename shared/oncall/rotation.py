"""Rotation lengths as ISO 8601 durations: whole weeks, days or hours of the wall clock."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

ROTATION_PATTERN: Final = r"^P(?:[1-9][0-9]{0,2}W|[1-9][0-9]{0,2}D|T[1-9][0-9]{0,3}H)$"
_PARTS: Final = re.compile(r"P(?:(?P<w>[0-9]+)W|(?P<d>[0-9]+)D|T(?P<h>[0-9]+)H)")


def parse_rotation(text: str) -> timedelta:
    """`P1D` → one day, `P2W` → 14 days, `PT12H` → 12 hours; ValueError otherwise."""
    found = _PARTS.fullmatch(text) if re.fullmatch(ROTATION_PATTERN, text) else None
    if found is None:
        raise ValueError(f"{text!r} is not a rotation such as P1D, P7D, P2W or PT12H")
    if found["w"]:
        return timedelta(weeks=int(found["w"]))
    if found["d"]:
        return timedelta(days=int(found["d"]))
    return timedelta(hours=int(found["h"]))
