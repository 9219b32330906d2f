"""API tokens: random bearer secrets of which only a SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

import asyncpg

TOKEN_PREFIX = "irm_"  # noqa: S105 - a recognisable prefix, not a secret


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
    """Who a valid token belongs to, and what it may do."""

    name: str
    scope: Scope


def hash_token(token: str) -> str:
    """The stored form of a token (a high-entropy secret, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(pool: asyncpg.Pool, *, principal: str, scope: Scope) -> str:
    """Create a token for `principal` and return it; it cannot be read back later."""
    principal = principal.strip()
    if not principal:
        raise ValueError("principal must not be empty")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO irm_api_tokens (token_hash, principal, scope) VALUES ($1, $2, $3)",
        hash_token(token),
        principal,
        scope.value,
    )
    return token


async def find_principal(pool: asyncpg.Pool, token: str) -> Principal | None:
    """The principal a token belongs to, or None for an unknown token."""
    row = await pool.fetchrow(
        "SELECT principal, scope FROM irm_api_tokens WHERE token_hash = $1", hash_token(token)
    )
    return None if row is None else Principal(name=row["principal"], scope=Scope(row["scope"]))


async def count_tokens(pool: asyncpg.Pool) -> int:
    """How many tokens exist; zero means a fresh install that needs a first token."""
    return int(await pool.fetchval("SELECT count(*) FROM irm_api_tokens"))
