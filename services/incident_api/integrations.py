"""Integrations and what they sent: their rows, their keys, the raw deliveries and their outcomes,
and which incident each alert group declared.

A key is `irmi_` and 32 random bytes, shown once; only its SHA-256 is stored (as API tokens'
are, `shared.tokens.hash_token`). Every payload is stored as it arrived before anything reads
it (`receive`), and its outcome is written when it has been handled (`finish`).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import asyncpg
import orjson

from services.incident_api.alert_routing import RoutingRule
from shared.readmodels.tables import storable
from shared.tokens import hash_token

KEY_PREFIX: Final = "irmi_"


@dataclass(frozen=True, slots=True)
class Integration:
    """A monitoring system allowed to send alerts (its key is never kept)."""

    id: UUID
    type: str
    name: str
    rules: list[RoutingRule]
    created_at: datetime
    created_by: str

    @property
    def principal(self) -> str:
        """Who its events name as actor: `integration:<name>`."""
        return f"integration:{self.name}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One payload as it arrived, and what became of it."""

    id: int
    integration_id: UUID
    received_at: datetime
    content_type: str | None
    body: bytes
    outcome: str
    detail: dict[str, Any]
    processed_at: datetime | None


_COLUMNS = "id, type, name, rules, created_at, created_by"


async def create_integration(
    pool: asyncpg.Pool, *, type_: str, name: str, rules: list[RoutingRule], created_by: str
) -> tuple[Integration, str]:
    """A new integration and its key (the only time the key is seen)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = await pool.fetchrow(
        f"""INSERT INTO irm_integrations (id, type, name, rules, key_hash, created_by)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING {_COLUMNS}""",  # noqa: S608 - constant
        uuid.uuid4(),
        type_,
        name,
        orjson.dumps([r.model_dump(mode="json", exclude_none=True) for r in rules]).decode(),
        hash_token(key),
        created_by,
    )
    assert row is not None
    return _integration(row), key


async def list_integrations(pool: asyncpg.Pool) -> list[Integration]:
    """Every integration, oldest first."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM irm_integrations ORDER BY created_at, id"  # noqa: S608 - constant
    )
    return [_integration(r) for r in rows]


async def get_integration(pool: asyncpg.Pool, integration_id: UUID) -> Integration | None:
    """One integration, or None."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM irm_integrations WHERE id = $1",  # noqa: S608 - constant
        integration_id,
    )
    return None if row is None else _integration(row)


async def find_by_key(pool: asyncpg.Pool, key: str, type_: str) -> Integration | None:
    """The integration of type `type_` whose key this is, or None."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM irm_integrations WHERE key_hash = $1 AND type = $2",  # noqa: S608
        hash_token(key),
        type_,
    )
    return None if row is None else _integration(row)


async def receive(
    pool: asyncpg.Pool, integration_id: UUID, body: bytes, content_type: str | None
) -> int:
    """Store a payload as it arrived; its delivery id."""
    delivery_id = await pool.fetchval(
        """INSERT INTO irm_alert_deliveries (integration_id, body, content_type)
           VALUES ($1, $2, $3) RETURNING id""",
        integration_id,
        body,
        content_type,
    )
    return int(delivery_id)


async def finish(
    pool: asyncpg.Pool, delivery_id: int, outcome: str, detail: dict[str, Any]
) -> None:
    """Write what became of a delivery. Its detail may quote what the sender wrote (a label, a
    field's path), so it goes through `storable`, as every text a follower writes does: jsonb
    holds no NUL; the payload itself is kept as it arrived."""
    await pool.execute(
        """UPDATE irm_alert_deliveries
           SET outcome = $2, detail = $3::jsonb, processed_at = clock_timestamp()
           WHERE id = $1""",
        delivery_id,
        outcome,
        orjson.dumps(storable(detail)).decode(),
    )


async def list_deliveries(
    pool: asyncpg.Pool, integration_id: UUID, *, limit: int, before: int | None
) -> list[Delivery]:
    """An integration's deliveries, newest first, `limit` of them before id `before`."""
    rows = await pool.fetch(
        """SELECT id, integration_id, received_at, content_type, body, outcome, detail,
                  processed_at
           FROM irm_alert_deliveries
           WHERE integration_id = $1 AND ($2::bigint IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3""",
        integration_id,
        before,
        limit,
    )
    return [
        Delivery(
            id=r["id"],
            integration_id=r["integration_id"],
            received_at=r["received_at"],
            content_type=r["content_type"],
            body=bytes(r["body"]),
            outcome=r["outcome"],
            detail=orjson.loads(r["detail"]),
            processed_at=r["processed_at"],
        )
        for r in rows
    ]


async def group_incident(pool: asyncpg.Pool, integration_id: UUID, group_key: str) -> UUID | None:
    """The incident the alert group last declared, or None."""
    found = await pool.fetchval(
        "SELECT incident_id FROM irm_alert_groups WHERE integration_id = $1 AND group_key = $2",
        integration_id,
        group_key,
    )
    return None if found is None else UUID(str(found))


def remember_group(integration_id: UUID, group_key: str, incident_id: UUID) -> Any:
    """An append hook that maps the group to the incident declared in the same transaction."""

    async def remember(conn: asyncpg.Connection, _position: int) -> None:
        await conn.execute(
            """INSERT INTO irm_alert_groups (integration_id, group_key, incident_id)
               VALUES ($1, $2, $3)
               ON CONFLICT (integration_id, group_key)
               DO UPDATE SET incident_id = excluded.incident_id, declared_at = clock_timestamp()""",
            integration_id,
            group_key,
            incident_id,
        )

    return remember


def _integration(row: asyncpg.Record) -> Integration:
    return Integration(
        id=row["id"],
        type=row["type"],
        name=row["name"],
        rules=[RoutingRule.model_validate(r) for r in orjson.loads(row["rules"])],
        created_at=row["created_at"],
        created_by=row["created_by"],
    )
