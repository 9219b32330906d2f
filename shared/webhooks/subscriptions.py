"""Webhook subscriptions and their secrets, in PostgreSQL; used by the API and the notifier."""

from __future__ import annotations

import base64
import fnmatch
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import asyncpg

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
_PATTERN: Final = re.compile(r"^(\*|incident\.[a-z_*]+)$")


class SubscriptionNotFoundError(Exception):
    """No subscription with this id."""

    def __init__(self, subscription_id: uuid.UUID) -> None:
        super().__init__(f"subscription {subscription_id} not found")
        self.subscription_id = subscription_id


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where to send which events."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    severities: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    def wants(self, event_short_type: str, severity: str | None) -> bool:
        """Whether an event of this type, on an incident of this severity, is for us."""
        if self.event_types and not any(
            fnmatch.fnmatchcase(event_short_type, p) for p in self.event_types
        ):
            return False
        return not self.severities or severity in self.severities


def valid_pattern(pattern: str) -> bool:
    """`*`, `incident.*`, `incident.severity_changed`, …"""
    return bool(_PATTERN.match(pattern))


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


_COLUMNS: Final = (
    "id, url, event_types, severities, description, status, disabled_reason, "
    "created_by, created_at, updated_at"
)


def _subscription(record: asyncpg.Record) -> Subscription:
    return Subscription(**{k: record[k] for k in record.keys()})  # noqa: SIM118


async def create_subscription(
    pool: asyncpg.Pool,
    *,
    url: str,
    event_types: Sequence[str],
    severities: Sequence[str],
    description: str | None,
    created_by: str,
) -> tuple[Subscription, str]:
    """Store a new, active subscription; returns it and its secret (shown only now)."""
    secret = new_secret()
    async with pool.acquire() as conn, conn.transaction():
        record = await conn.fetchrow(
            f"""INSERT INTO irm_subscriptions
                (id, url, event_types, severities, description, status, created_by)
                VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING {_COLUMNS}""",
            uuid.uuid4(),
            url,
            list(event_types),
            list(severities),
            description,
            created_by,
        )
        await conn.execute(
            "INSERT INTO irm_subscription_secrets (subscription_id, secret) VALUES ($1, $2)",
            record["id"],
            secret,
        )
    return _subscription(record), secret


async def list_subscriptions(pool: asyncpg.Pool) -> list[Subscription]:
    """Every subscription, oldest first."""
    records = await pool.fetch(f"SELECT {_COLUMNS} FROM irm_subscriptions ORDER BY created_at, id")
    return [_subscription(r) for r in records]


async def get_subscription(pool: asyncpg.Pool, subscription_id: uuid.UUID) -> Subscription:
    """One subscription; SubscriptionNotFoundError if there is none."""
    record = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM irm_subscriptions WHERE id = $1", subscription_id
    )
    if record is None:
        raise SubscriptionNotFoundError(subscription_id)
    return _subscription(record)


async def update_subscription(
    pool: asyncpg.Pool, subscription_id: uuid.UUID, changes: dict[str, Any]
) -> Subscription:
    """Change url, event_types, severities or description."""
    allowed = {"url", "event_types", "severities", "description"}
    fields = {k: v for k, v in changes.items() if k in allowed}
    if not fields:
        return await get_subscription(pool, subscription_id)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
    record = await pool.fetchrow(
        f"UPDATE irm_subscriptions SET {assignments}, updated_at = now() "
        f"WHERE id = $1 RETURNING {_COLUMNS}",
        subscription_id,
        *fields.values(),
    )
    if record is None:
        raise SubscriptionNotFoundError(subscription_id)
    return _subscription(record)


async def set_status(
    pool: asyncpg.Pool | asyncpg.Connection,
    subscription_id: uuid.UUID,
    status: str,
    reason: str | None = None,
) -> Subscription:
    """Pause, resume (active) or disable a subscription."""
    record = await pool.fetchrow(
        "UPDATE irm_subscriptions SET status = $2, disabled_reason = $3, updated_at = now() "
        f"WHERE id = $1 RETURNING {_COLUMNS}",
        subscription_id,
        status,
        reason,
    )
    if record is None:
        raise SubscriptionNotFoundError(subscription_id)
    return _subscription(record)


async def delete_subscription(pool: asyncpg.Pool, subscription_id: uuid.UUID) -> None:
    """Delete a subscription with its secrets and delivery log."""
    result = await pool.execute("DELETE FROM irm_subscriptions WHERE id = $1", subscription_id)
    if result == "DELETE 0":
        raise SubscriptionNotFoundError(subscription_id)


async def rotate_secret(
    pool: asyncpg.Pool, subscription_id: uuid.UUID, *, grace: timedelta
) -> tuple[str, datetime]:
    """Add a new secret; the current ones keep signing until `grace` has passed.

    Returns the new secret and when the old ones expire.
    """
    secret = new_secret()
    async with pool.acquire() as conn, conn.transaction():
        await get_subscription_for_update(conn, subscription_id)
        expires_at = await conn.fetchval("SELECT now() + $1::interval", grace)
        await conn.execute(
            """UPDATE irm_subscription_secrets SET expires_at = $2
               WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > $2)""",
            subscription_id,
            expires_at,
        )
        await conn.execute(
            "INSERT INTO irm_subscription_secrets (subscription_id, secret) VALUES ($1, $2)",
            subscription_id,
            secret,
        )
    return secret, expires_at


async def get_subscription_for_update(conn: asyncpg.Connection, subscription_id: uuid.UUID) -> None:
    """Lock a subscription row for the transaction; SubscriptionNotFoundError if missing."""
    found = await conn.fetchval(
        "SELECT 1 FROM irm_subscriptions WHERE id = $1 FOR UPDATE", subscription_id
    )
    if found is None:
        raise SubscriptionNotFoundError(subscription_id)


async def signing_secrets(pool: asyncpg.Pool, subscription_id: uuid.UUID) -> list[str]:
    """The secrets that sign a message now: the newest first, then any still in grace."""
    records = await pool.fetch(
        """SELECT secret FROM irm_subscription_secrets
           WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > now())
           ORDER BY created_at DESC""",
        subscription_id,
    )
    return [r["secret"] for r in records]


async def queueing_subscriptions(conn: asyncpg.Connection | asyncpg.Pool) -> list[Subscription]:
    """Subscriptions that get deliveries queued: active ones, and paused ones (whose queue
    waits for resume). A disabled subscription gets none; replay fills the gap if wanted."""
    records = await conn.fetch(
        f"SELECT {_COLUMNS} FROM irm_subscriptions WHERE status IN ('active', 'paused') ORDER BY id"
    )
    return [_subscription(r) for r in records]
