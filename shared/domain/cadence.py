"""The customer-update cadence: how often customers hear about an incident, per severity,
parsed from `P1=30m,P2=60m,…`. When the next update is due is `rules.customer_update_due`."""

from __future__ import annotations

import re
from datetime import timedelta

from shared.domain.values import Severity

DEFAULT_UPDATE_CADENCE = "P1=30m,P2=60m,P3=4h,P4=24h"

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
_ITEM = re.compile(r"^(P[1-4])=(\d+)([smhd])$")

Cadence = dict[str, timedelta]


def parse_cadence(text: str) -> Cadence:
    """Parse `P1=30m,P2=60m,P3=4h,P4=24h` (units s, m, h, d); every severity must be given."""
    cadence: Cadence = {}
    for item in (part.strip() for part in text.split(",")):
        match = _ITEM.match(item)
        if match is None:
            raise ValueError(f"bad cadence entry {item!r}: expected e.g. P1=30m (units s m h d)")
        severity, amount, unit = match.groups()
        if int(amount) == 0:
            raise ValueError(f"cadence for {severity} must be more than zero")
        cadence[severity] = timedelta(seconds=int(amount) * _UNITS[unit])
    missing = [s.value for s in Severity if s.value not in cadence]
    if missing:
        raise ValueError(f"cadence is missing {', '.join(missing)}")
    return cadence
