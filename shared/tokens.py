"""API tokens: random bearer secrets of which only a SHA-256 hash is stored.

Each token also has a public id (a UUID, neither the secret nor its hash) by which it is
listed and revoked, an optional expiry, and the time it was last used. Revoking a token
announces it on the PostgreSQL channel `irm_tokens`, on which every API process listens to
drop the tokens it has cached.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID

import asyncpg

from shared.people import make_known

TOKEN_PREFIX = "irm_"  # noqa: S105 - a recognisable prefix, not a secret
TOKENS_CHANNEL: Final = "irm_tokens"
LAST_USE_INTERVAL: Final = timedelta(minutes=1)

_COLUMNS: Final = (
    "id, principal, scope, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at"
)
_DURATION: Final = re.compile(r"(?P<amount>[0-9]{1,6})(?P<unit>[smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
MAX_LIFETIME: Final = timedelta(days=3_660)


class Scope(StrEnum):
    """What a token may do; each scope includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        """Whether this scope is at least `needed`."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid token belongs to, and what it may do (until `expires_at`, if set)."""

    name: str
    scope: Scope
    token_id: UUID | None = None
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the token has expired by `now` (by default the current time)."""
        return self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """What is stored about a token, without its secret or its hash."""

    id: UUID
    principal: str
    scope: Scope
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        """`active`, `expired` or `revoked`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC)):
            return "expired"
        return "active"


class TokenRefusedError(Exception):
    """A token that does not authenticate: unknown, revoked or expired (`reason`)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def hash_token(token: str) -> str:
    """The stored form of a token (a high-entropy secret, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_duration(text: str) -> timedelta:
    """`90d`, `12h`, `30m`, `45s` or `2w` as a timedelta; ValueError for anything else."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 90d, 12h, 30m, 45s or 2w")
    duration = timedelta(seconds=int(match["amount"]) * _UNITS[match["unit"]])
    if duration <= timedelta(0):
        raise ValueError("the duration must be positive")
    if duration > MAX_LIFETIME:
        raise ValueError("the duration may be at most 3660d (ten years)")
    return duration


async def issue_token(
    pool: asyncpg.Pool,
    *,
    principal: str,
    scope: Scope,
    expires_at: datetime | None = None,
    created_by: str | None = None,
) -> tuple[TokenRecord, str]:
    """Create a token; returns what is stored about it and the secret, which cannot be read
    back later."""
    principal = principal.strip()
    if not principal:
        raise ValueError("principal must not be empty")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "INSERT INTO irm_api_tokens (token_hash, principal, scope, expires_at, created_by) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id, principal, scope, created_at, created_by, "
            "expires_at, revoked_at, revoked_by, last_used_at",
            hash_token(token),
            principal,
            scope.value,
            expires_at,
            created_by,
        )
        # Whoever has a token may be given a role.
        await make_known(conn, principal, created_by=created_by)
    assert row is not None
    return _record(row), token


async def create_token(
    pool: asyncpg.Pool, *, principal: str, scope: Scope, expires_at: datetime | None = None
) -> str:
    """Create a token for `principal` and return it; it cannot be read back later."""
    _, token = await issue_token(pool, principal=principal, scope=scope, expires_at=expires_at)
    return token


async def authenticate(pool: asyncpg.Pool, token: str) -> Principal:
    """The principal a token belongs to; TokenRefusedError if it is unknown, revoked or
    expired."""
    row = await pool.fetchrow(
        "SELECT id, principal, scope, expires_at, revoked_at, now() AS now "
        "FROM irm_api_tokens WHERE token_hash = $1",
        hash_token(token),
    )
    if row is None:
        raise TokenRefusedError("unknown", "the token is not valid")
    if row["revoked_at"] is not None:
        raise TokenRefusedError("revoked", "the token has been revoked")
    if row["expires_at"] is not None and row["expires_at"] <= row["now"]:
        raise TokenRefusedError("expired", f"the token expired at {row['expires_at'].isoformat()}")
    return Principal(
        name=row["principal"],
        scope=Scope(row["scope"]),
        token_id=row["id"],
        expires_at=row["expires_at"],
    )


async def find_principal(pool: asyncpg.Pool, token: str) -> Principal | None:
    """The principal a token belongs to, or None for an unknown, revoked or expired token."""
    try:
        return await authenticate(pool, token)
    except TokenRefusedError:
        return None


async def list_tokens(pool: asyncpg.Pool) -> list[TokenRecord]:
    """Every token, oldest first (revoked ones too, for the record)."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM irm_api_tokens ORDER BY created_at, id"  # noqa: S608 - constant
    )
    return [_record(r) for r in rows]


async def get_token(pool: asyncpg.Pool, token_id: UUID) -> TokenRecord | None:
    """One token by its public id."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM irm_api_tokens WHERE id = $1",  # noqa: S608 - constant
        token_id,
    )
    return None if row is None else _record(row)


async def revoke_token(
    pool: asyncpg.Pool, token_id: UUID, *, revoked_by: str | None = None
) -> TokenRecord | None:
    """Revoke a token (again is a no-op) and tell every API process; None if there is none."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "UPDATE irm_api_tokens SET revoked_at = coalesce(revoked_at, now()), "
            "revoked_by = CASE WHEN revoked_at IS NULL THEN $2 ELSE revoked_by END "
            "WHERE id = $1 RETURNING id, principal, scope, created_at, created_by, expires_at, "
            "revoked_at, revoked_by, last_used_at",
            token_id,
            revoked_by,
        )
        if row is None:
            return None
        # Delivered when the transaction commits, to every API process listening.
        await conn.execute("SELECT pg_notify($1, $2)", TOKENS_CHANNEL, str(token_id))
    return _record(row)


async def record_use(pool: asyncpg.Pool, token_id: UUID) -> None:
    """Note that the token was used now; written at most once a minute per token."""
    await pool.execute(
        "UPDATE irm_api_tokens SET last_used_at = now() WHERE id = $1 "
        "AND (last_used_at IS NULL OR last_used_at < now() - $2::interval)",
        token_id,
        LAST_USE_INTERVAL,
    )


async def count_tokens(pool: asyncpg.Pool) -> int:
    """How many tokens exist; zero means a fresh install that needs a first token."""
    return int(await pool.fetchval("SELECT count(*) FROM irm_api_tokens"))


def _record(row: asyncpg.Record) -> TokenRecord:
    return TokenRecord(
        id=row["id"],
        principal=row["principal"],
        scope=Scope(row["scope"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
        last_used_at=row["last_used_at"],
    )
