"""Argument checks of the incident's commands: each returns the cleaned value or raises
InvalidFieldError, so an event only ever records clean values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum

from shared.domain.errors import InvalidFieldError
from shared.domain.values import NAME_MAX_CHARS, Criterion

URL_MAX_CHARS = 2_000


def text(field: str, value: str, max_chars: int) -> str:
    """A required text, trimmed: not empty and at most `max_chars` characters."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidFieldError(field, "must not be empty")
    if len(cleaned) > max_chars:
        raise InvalidFieldError(field, f"must be at most {max_chars} characters")
    return cleaned


def optional_text(field: str, value: str | None, max_chars: int) -> str | None:
    """An optional text, trimmed; blank is recorded as None."""
    if value is None or not value.strip():
        return None
    return text(field, value, max_chars)


def member(field: str, value: str, allowed: type[StrEnum]) -> str:
    """One of the values of `allowed`, as a plain str."""
    choices = [m.value for m in allowed]
    if value not in choices:
        raise InvalidFieldError(field, f"must be one of {', '.join(choices)}")
    # A plain str, never the enum, so that recorded events hold exactly what is stored.
    return str(allowed(value).value)


def criteria(values: Iterable[str]) -> list[str]:
    """At least one declaration criterion, each once, in the order given."""
    chosen = list(dict.fromkeys(values))
    if not chosen:
        raise InvalidFieldError("criteria", "at least one declaration criterion is required")
    allowed = [c.value for c in Criterion]
    for value in chosen:
        if value not in allowed:
            raise InvalidFieldError("criteria", f"must be from {', '.join(allowed)}")
    return [str(Criterion(value).value) for value in chosen]


def due_date(value: str) -> str:
    """A date like 2026-12-31."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidFieldError("due_date", "must be a date like 2026-12-31") from None


def moment(field: str, value: datetime, *, latest: datetime, too_late: str) -> datetime:
    """A moment with its time zone, in UTC, no later than `latest` (`too_late` says why)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidFieldError(field, "must have a time zone")
    value = value.astimezone(UTC)
    if value > latest:
        raise InvalidFieldError(field, f"must not be {too_late}")
    return value


def names(field: str, values: Iterable[str]) -> list[str]:
    """Names (each a required text), duplicates removed, order kept."""
    return list(dict.fromkeys(text(field, v, NAME_MAX_CHARS) for v in values))
