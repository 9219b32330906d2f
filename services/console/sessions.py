"""The console's sign-in sessions: a random secret in the browser's cookie, the rest here.

The row is found by the secret's SHA-256, and the API token it signs in with is sealed with
AES-GCM under a key derived from the secret, so the token is readable only while the browser
presents its cookie: not from the table, and never by the page's JavaScript (the cookie is
HttpOnly). Each session has its own CSRF token, which every form of the console carries.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SESSION_LIFETIME: Final = timedelta(hours=12)
"""How long a sign-in lasts at most (less when the token expires sooner)."""
_TABLE: Final = "irm_console_sessions"
_NONCE_BYTES: Final = 12


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser: who it is, the token it acts with, its CSRF token."""

    principal: str
    scope: str
    """The token's scope (read, write, admin): a reader gets no command forms."""
    token: str
    csrf_token: str
    expires_at: datetime


def _session_id(secret: str) -> bytes:
    return hashlib.sha256(b"irm console session id:" + secret.encode()).digest()


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"irm console session key:" + secret.encode()).digest()


async def start_session(
    pool: asyncpg.Pool,
    *,
    principal: str,
    scope: str,
    token: str,
    token_expires_at: datetime | None,
) -> tuple[str, ConsoleSession]:
    """Store a new session; return the secret for the cookie and the session."""
    secret = secrets.token_urlsafe(32)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = nonce + AESGCM(_key(secret)).encrypt(nonce, token.encode(), None)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = await pool.fetchval(
        f"INSERT INTO {_TABLE} (id, principal, scope, sealed_token, csrf_token, expires_at) "  # noqa: S608
        "VALUES ($1, $2, $3, $4, $5, "
        "least(now() + $6::interval, coalesce($7::timestamptz, 'infinity'))) "
        "RETURNING expires_at",
        _session_id(secret),
        principal,
        scope,
        sealed,
        csrf_token,
        SESSION_LIFETIME,
        token_expires_at,
    )
    # Sessions that ran out are removed as new ones start, so the table stays small.
    await pool.execute(f"DELETE FROM {_TABLE} WHERE expires_at < now()")  # noqa: S608
    return secret, ConsoleSession(principal, scope, token, csrf_token, expires_at)


async def find_session(pool: asyncpg.Pool, secret: str) -> ConsoleSession | None:
    """The live session behind a cookie's secret, or None (unknown, ended or expired)."""
    row = await pool.fetchrow(
        f"SELECT principal, scope, sealed_token, csrf_token, expires_at FROM {_TABLE} "  # noqa: S608
        "WHERE id = $1 AND expires_at > now()",
        _session_id(secret),
    )
    if row is None:
        return None
    sealed: bytes = row["sealed_token"]
    try:
        token = AESGCM(_key(secret)).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], None)
    except InvalidTag:
        return None
    return ConsoleSession(
        row["principal"], row["scope"], token.decode(), row["csrf_token"], row["expires_at"]
    )


async def end_session(pool: asyncpg.Pool, secret: str) -> None:
    """Sign out: the session is gone, and its cookie opens nothing any more."""
    await pool.execute(f"DELETE FROM {_TABLE} WHERE id = $1", _session_id(secret))  # noqa: S608
