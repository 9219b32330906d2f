"""A time in a query parameter: an RFC 3339 date-time with its offset, and nothing else.

Pydantic alone is lax: it reads a number as Unix time (`declared_since=0.5`), a date as its
midnight, and a time without an offset in no zone at all (which asyncpg would then read in
this process's local zone). The OpenAPI document says `format: date-time`, which is RFC 3339:
date `T` time with seconds, optional fraction, then `Z` or `±hh:mm`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)

RFC3339_CODE = "rfc3339_date_time"
"""The error `code` of a query time that is not an RFC 3339 date-time."""


def _rfc3339_only(value: Any) -> Any:
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise PydanticCustomError(
        RFC3339_CODE,
        "must be an RFC 3339 date-time with a time zone, e.g. 2026-11-26T03:12:00Z",
    )


QueryTime = Annotated[datetime, BeforeValidator(_rfc3339_only)]
"""A query parameter that is a moment: an RFC 3339 date-time with an offset."""
