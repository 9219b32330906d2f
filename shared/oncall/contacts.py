"""How to reach a person: their contact methods, in PostgreSQL; used by the API, the CLI and
the notifier.

A webhook method has its own Standard Webhooks secret (`whsec_…`), made when the method is
added and shown once, in that answer. An email method is an address. A person's methods are
set as a whole list: a method whose type and target were there already keeps its id and its
secret, so changing someone's email address never changes the secret of their webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import asyncpg

from shared.webhooks.subscriptions import new_secret

ContactType = Literal["webhook", "email"]
MAX_CONTACT_METHODS: Final = 10


@dataclass(frozen=True, slots=True)
class ContactTarget:
    """A contact method as a client names it: its type and its URL or address."""

    type: ContactType
    target: str


@dataclass(frozen=True, slots=True)
class ContactMethod:
    """A stored contact method; `secret` is set only in the answer that created it."""

    id: uuid.UUID
    type: ContactType
    target: str
    created_at: datetime
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class Reachable:
    """A contact method with what sending to it needs (the notifier's view)."""

    id: uuid.UUID
    handle: str
    type: ContactType
    target: str
    secret: str | None


_READ: Final = (
    "SELECT id, type, target, created_at FROM irm_contact_methods WHERE handle = $1 ORDER BY place"
)


async def contact_methods(
    conn: asyncpg.Pool | asyncpg.Connection, handle: str
) -> list[ContactMethod]:
    """The person's contact methods, in their order, without secrets."""
    return [ContactMethod(**r) for r in await conn.fetch(_READ, handle)]


async def contact_methods_of(
    conn: asyncpg.Pool | asyncpg.Connection, handles: Sequence[str]
) -> dict[str, list[ContactMethod]]:
    """Several people's contact methods by handle (those without any are left out)."""
    found: dict[str, list[ContactMethod]] = {}
    for r in await conn.fetch(
        "SELECT handle, id, type, target, created_at FROM irm_contact_methods "
        "WHERE handle = ANY($1::text[]) ORDER BY handle, place",
        list(handles),
    ):
        found.setdefault(r["handle"], []).append(
            ContactMethod(
                id=r["id"], type=r["type"], target=r["target"], created_at=r["created_at"]
            )
        )
    return found


async def reachable(conn: asyncpg.Pool | asyncpg.Connection, handle: str) -> list[Reachable]:
    """The person's contact methods with their secrets, to send to them."""
    rows = await conn.fetch(
        "SELECT id, handle, type, target, secret FROM irm_contact_methods "
        "WHERE handle = $1 ORDER BY place",
        handle,
    )
    return [Reachable(**r) for r in rows]


async def set_contact_methods(
    conn: asyncpg.Connection,
    handle: str,
    targets: Sequence[ContactTarget],
    *,
    set_by: str | None,
) -> list[ContactMethod]:
    """Make `targets` the person's contact methods, in this order (call in a transaction).

    A method already there keeps its id and secret (not shown); a new webhook method gets a
    new secret, shown in the answer only. The same target twice counts once.
    """
    kept = {
        (r["type"], r["target"]): r
        for r in await conn.fetch(
            "SELECT id, type, target, created_at FROM irm_contact_methods WHERE handle = $1 "
            "FOR UPDATE",
            handle,
        )
    }
    wanted: list[ContactTarget] = []
    for target in targets:
        if target not in wanted:
            wanted.append(target)
    await conn.execute(
        "DELETE FROM irm_contact_methods WHERE handle = $1 AND NOT ((type, target) = ANY("
        "SELECT * FROM unnest($2::text[], $3::text[])))",
        handle,
        [t.type for t in wanted],
        [t.target for t in wanted],
    )
    methods: list[ContactMethod] = []
    for place, target in enumerate(wanted):
        old = kept.get((target.type, target.target))
        if old is not None:
            await conn.execute(
                "UPDATE irm_contact_methods SET place = $2 WHERE id = $1", old["id"], place
            )
            methods.append(ContactMethod(**old))
            continue
        secret = new_secret() if target.type == "webhook" else None
        row = await conn.fetchrow(
            "INSERT INTO irm_contact_methods (id, handle, place, type, target, secret, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, type, target, created_at",
            uuid.uuid4(),
            handle,
            place,
            target.type,
            target.target,
            secret,
            set_by,
        )
        methods.append(ContactMethod(**row, secret=secret))
    return methods
