"""Versioned, idempotent schema migrations for everything the services keep in PostgreSQL.

The events and snapshots tables keep eventsourcing's own PostgreSQL schema (table names as its
`PostgresFactory` would choose for an application named "irm"), so its recorders can read what
we write and the reverse. Each migration runs once, in order, under an advisory lock, so any
number of replicas may start at the same time.
"""

from __future__ import annotations

from typing import Final

import asyncpg

from shared.readmodels.ddl import TRACKING_DDL, read_model_ddl, recreate_read_models_ddl
from shared.webhooks.ddl import WEBHOOKS_DDL

EVENTS_TABLE: Final = "irm_events"
SNAPSHOTS_TABLE: Final = "irm_snapshots"
# eventsourcing names its NOTIFY channel after the events table.
EVENTS_CHANNEL: Final = EVENTS_TABLE

_MIGRATIONS_LOCK_KEY: Final = 0x1A_0001

APPEND_FUNCTION: Final = "irm_append_events"

# One append in one statement, so one round trip: under lock_timeout, take the EXCLUSIVE lock
# (notification ids are then issued in commit order), NOTIFY, insert. Conflicting rows are
# skipped rather than raised, so the error can name the first stream that was taken; raising
# then rolls back the whole append. The caller's transaction, or the statement's own, commits.
_APPEND_FUNCTION_DDL = f"""
CREATE OR REPLACE FUNCTION {APPEND_FUNCTION}(
    ids uuid[], versions bigint[], topics text[], states bytea[], wait_for_lock text
) RETURNS bigint LANGUAGE plpgsql AS $append$
DECLARE
    last_position bigint;
    taken uuid;
BEGIN
    PERFORM set_config('lock_timeout', wait_for_lock, true);
    LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE;
    PERFORM pg_notify('{EVENTS_CHANNEL}', '');
    WITH inserted AS (
        INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(ids, versions, topics, states)
        ON CONFLICT DO NOTHING
        RETURNING originator_id, originator_version, notification_id
    )
    SELECT
        (SELECT max(notification_id) FROM inserted),
        (SELECT wanted.id
            FROM unnest(ids, versions) WITH ORDINALITY AS wanted (id, version, n)
            WHERE NOT EXISTS (
                SELECT 1 FROM inserted
                WHERE inserted.originator_id = wanted.id
                  AND inserted.originator_version = wanted.version)
            ORDER BY wanted.n
            LIMIT 1)
    INTO last_position, taken;
    IF taken IS NOT NULL THEN
        RAISE EXCEPTION 'stream % was changed concurrently', taken
            USING ERRCODE = 'unique_violation', DETAIL = taken::text;
    END IF;
    RETURN last_position;
END
$append$;
"""

_AUTOVACUUM = """WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
)"""

MIGRATIONS: Final[tuple[tuple[int, str, str], ...]] = (
    (
        1,
        "event store, snapshots, incident numbers, API tokens, idempotency keys",
        f"""
        CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            notification_id bigserial,
            PRIMARY KEY (originator_id, originator_version)
        ) {_AUTOVACUUM};
        CREATE UNIQUE INDEX IF NOT EXISTS {EVENTS_TABLE}_notification_id_idx
            ON {EVENTS_TABLE} (notification_id ASC);
        CREATE TABLE IF NOT EXISTS {SNAPSHOTS_TABLE} (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            PRIMARY KEY (originator_id, originator_version)
        ) {_AUTOVACUUM};
        CREATE SEQUENCE IF NOT EXISTS irm_incident_number_seq AS bigint START 1;
        CREATE TABLE IF NOT EXISTS irm_api_tokens (
            token_hash text PRIMARY KEY,
            principal text NOT NULL,
            scope text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS irm_idempotency_keys (
            principal text NOT NULL,
            idempotency_key text NOT NULL,
            request_fingerprint text NOT NULL,
            incident_id uuid NOT NULL,
            position bigint NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (principal, idempotency_key)
        );
        """,
    ),
    (
        2,
        "read models (incidents, timeline) and follower tracking positions",
        TRACKING_DDL + read_model_ddl("public"),
    ),
    (3, "webhook subscriptions, deliveries and attempts", WEBHOOKS_DDL),
    (
        4,
        "read models gain the review and follow-ups; rebuilt from the log",
        recreate_read_models_ddl(),
    ),
    (5, "appends in one statement: irm_append_events()", _APPEND_FUNCTION_DDL),
)


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied now."""
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATIONS_LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS irm_schema_migrations (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )"""
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM irm_schema_migrations")}
        for version, description, sql in MIGRATIONS:
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO irm_schema_migrations (version, description) VALUES ($1, $2)",
                version,
                description,
            )
            applied_now.append(version)
    return applied_now


async def schema_version(conn: asyncpg.Connection) -> int:
    """The highest migration applied to this database (0 for an empty one)."""
    exists = await conn.fetchval("SELECT to_regclass('irm_schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM irm_schema_migrations"))
