"""ETag and If-Match: an incident's version is its entity tag."""

from __future__ import annotations

from services.incident_api.numbers import BIGINT_MAX, numeral_pattern
from services.incident_api.problems import ProblemError

IF_MATCH_PATTERN = rf'^[ \t]*(\*|(W/)?"*0*(0|{numeral_pattern(BIGINT_MAX)})"*)[ \t]*$'
"""The document's pattern of what `parse_if_match` takes; anything else is 400."""


def etag(version: int) -> str:
    """The ETag of an incident at `version`."""
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """`"3"`, `W/"3"` or `3` mean version 3; `*` or no header means any version."""
    if value is None or value.strip() == "*":
        return None
    cleaned = value.strip().removeprefix("W/").strip('"')
    # isdigit() alone also accepts characters such as "²" that int() refuses.
    # So is a number no version can be (a bigint), which the database could not compare.
    if not (cleaned.isascii() and cleaned.isdigit()) or int(cleaned) > BIGINT_MAX:
        raise ProblemError(
            400,
            "invalid-if-match",
            "If-Match must be an incident version",
            f'expected an ETag such as "3", got {value!r}',
        )
    return int(cleaned)
