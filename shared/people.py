"""The people irm knows: whom an incident role may be given to.

A person is a handle, the name a token or a sign-in carries and events record, with a display
name, a time zone and contact methods (`shared.oncall.contacts`). A handle becomes known when
an admin adds it (`irm people add`, `POST /v1/people`), when a token is created for it, or
when it signs in through single sign-on. Assigning a role to a
handle nobody added is refused, so that a typo cannot take command of an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg

HANDLE_MAX_CHARS: Final = 200


@dataclass(frozen=True, slots=True)
class Person:
    """Someone irm knows."""

    handle: str
    display_name: str | None
    created_at: datetime
    created_by: str | None
    time_zone: str | None = None


class PersonExistsError(Exception):
    """A person with this handle is already known."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"{handle} is already known")
        self.handle = handle


def checked_handle(handle: str) -> str:
    """The handle trimmed; ValueError if it is empty or too long."""
    handle = handle.strip()
    if not handle:
        raise ValueError("a handle must not be empty")
    if len(handle) > HANDLE_MAX_CHARS:
        raise ValueError(f"a handle has at most {HANDLE_MAX_CHARS} characters")
    return handle


async def add_person(
    conn: asyncpg.Pool | asyncpg.Connection,
    handle: str,
    *,
    display_name: str | None = None,
    created_by: str | None = None,
    time_zone: str | None = None,
) -> Person:
    """Record a new person; PersonExistsError if the handle is known already."""
    row = await conn.fetchrow(
        "INSERT INTO irm_people (handle, display_name, created_by, time_zone) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (handle) DO NOTHING "
        "RETURNING handle, display_name, created_at, created_by, time_zone",
        checked_handle(handle),
        display_name,
        created_by,
        time_zone,
    )
    if row is None:
        raise PersonExistsError(handle.strip())
    return Person(**row)


async def make_known(
    conn: asyncpg.Pool | asyncpg.Connection, handle: str, *, created_by: str | None
) -> None:
    """Know `handle` from now on, if it is not known already (a token's principal, a sign-in)."""
    await conn.execute(
        "INSERT INTO irm_people (handle, created_by) VALUES ($1, $2) "
        "ON CONFLICT (handle) DO NOTHING",
        handle.strip(),
        created_by,
    )


async def unknown_handles(conn: asyncpg.Pool | asyncpg.Connection, handles: list[str]) -> list[str]:
    """Those of `handles` nobody has added, in the order given."""
    known = {
        r["handle"]
        for r in await conn.fetch(
            "SELECT handle FROM irm_people WHERE handle = ANY($1::text[])", handles
        )
    }
    return [h for h in handles if h not in known]


async def list_people(conn: asyncpg.Pool | asyncpg.Connection) -> list[Person]:
    """Everyone known, by handle."""
    rows = await conn.fetch(
        "SELECT handle, display_name, created_at, created_by, time_zone "
        "FROM irm_people ORDER BY handle"
    )
    return [Person(**r) for r in rows]


async def find_person(conn: asyncpg.Pool | asyncpg.Connection, handle: str) -> Person | None:
    """The person with this handle, or None."""
    row = await conn.fetchrow(
        "SELECT handle, display_name, created_at, created_by, time_zone "
        "FROM irm_people WHERE handle = $1",
        handle,
    )
    return None if row is None else Person(**row)


async def update_person(
    conn: asyncpg.Pool | asyncpg.Connection, handle: str, changes: dict[str, str | None]
) -> Person | None:
    """Set the display name and/or time zone (the keys of `changes`, None clears); None if
    nobody is `handle`. Locks the person's row until the transaction ends."""
    if not set(changes) <= {"display_name", "time_zone"}:
        raise ValueError(f"cannot change {sorted(changes)}")
    row = await conn.fetchrow(
        "UPDATE irm_people SET "
        "display_name = CASE WHEN $2 THEN $3 ELSE display_name END, "
        "time_zone = CASE WHEN $4 THEN $5 ELSE time_zone END "
        "WHERE handle = $1 RETURNING handle, display_name, created_at, created_by, time_zone",
        handle,
        "display_name" in changes,
        changes.get("display_name"),
        "time_zone" in changes,
        changes.get("time_zone"),
    )
    return None if row is None else Person(**row)
