"""The value types of command fields, with the limits a request is checked against.

Each is an `Annotated` type: to Python and to the application a plain `str` or list; the
metadata only tells a validator (the API's request bodies) to trim and bound the value, and to
refuse control characters (`plain_text`), so a bad field is named before the domain checks the
same rules again.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from services.incident_api.plain_text import PLAIN_TEXT
from services.incident_api.query_times import QueryTime
from shared.domain.values import (
    NAME_MAX_CHARS,
    TEXT_MAX_CHARS,
    TITLE_MAX_CHARS,
    UPDATE_BODY_MAX_CHARS,
    Criterion,
)

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_CHARS),
    PLAIN_TEXT,
]
"""A person, team, service or system: trimmed, 1 to 200 characters."""

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_CHARS),
    PLAIN_TEXT,
]
"""A reason, summary or finding: trimmed, 1 to 10,000 characters."""

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_CHARS),
    PLAIN_TEXT,
]
"""An incident's or a follow-up's title: trimmed, 1 to 200 characters."""

Note = Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS), PLAIN_TEXT]
"""Optional free text, up to 10,000 characters (blank means none)."""

UpdateBody = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=UPDATE_BODY_MAX_CHARS),
    PLAIN_TEXT,
]
"""The text of an update: trimmed, 1 to 10,000 characters."""

Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000), PLAIN_TEXT]
"""A link, up to 2,000 characters."""

Criteria = Annotated[list[Criterion], Field(min_length=1)]
"""The declaration criteria an incident meets: at least one."""

ServiceNames = Annotated[list[Name], Field(max_length=100)]
"""The services an incident affects: up to 100."""

DueDate = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    PLAIN_TEXT,
    # The document says a real day (the domain refuses 2026-02-30), not only its shape.
    Field(json_schema_extra={"format": "date"}),
]
"""A day, YYYY-MM-DD."""

FirstDueDate = Annotated[DueDate, Field(description="YYYY-MM-DD")]
"""A new follow-up's due date (its format spelled out for clients)."""

Moment = QueryTime
"""A moment: an RFC 3339 date-time with its offset (`2026-11-26T03:02:00Z`), nothing laxer."""
