"""Migrations run once each, in order, however many replicas start at the same time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from shared.eventstore.schema import (
    EVENTS_TABLE,
    MIGRATIONS,
    SNAPSHOTS_TABLE,
    migrate,
    schema_version,
)
from tests.conftest import with_database

LATEST = max(version for version, _, _ in MIGRATIONS)
ALL_VERSIONS = sorted(version for version, _, _ in MIGRATIONS)
REPLICAS = 8


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database_url(server_url: str) -> AsyncIterator[str]:
    """A database of this test's own with nothing in it: no template, no migrations."""
    name = f"irm_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(server_url, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def migrate_once(url: str) -> list[int]:
    """What one replica does when it starts: connect and migrate."""
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


async def test_an_empty_database_is_at_version_zero(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await schema_version(conn) == 0
    finally:
        await conn.close()


async def test_migrate_applies_everything_once_then_nothing(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await migrate(conn) == ALL_VERSIONS
        assert await schema_version(conn) == LATEST
        assert await migrate(conn) == []
        assert await schema_version(conn) == LATEST
        recorded = await conn.fetch("SELECT version FROM irm_schema_migrations ORDER BY version")
        assert [r["version"] for r in recorded] == ALL_VERSIONS
    finally:
        await conn.close()


async def test_a_migrated_database_needs_nothing_more(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await schema_version(conn) == LATEST
        assert await migrate(conn) == []


async def test_replicas_migrating_a_fresh_database_at_once_all_succeed(
    empty_database_url: str,
) -> None:
    applied = await asyncio.gather(*(migrate_once(empty_database_url) for _ in range(REPLICAS)))

    assert sorted(v for versions in applied for v in versions) == ALL_VERSIONS
    assert sum(1 for versions in applied if versions) == 1
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await schema_version(conn) == LATEST
        for table in (EVENTS_TABLE, SNAPSHOTS_TABLE, "irm_api_tokens", "irm_idempotency_keys"):
            assert await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table), table
    finally:
        await conn.close()
