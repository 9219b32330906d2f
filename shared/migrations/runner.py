"""Applying the migration files: each once, in order, in one transaction under an advisory
lock, so any number of replicas may start at the same time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

import asyncpg

_MIGRATIONS_LOCK_KEY: Final = 0x1A_0001
_FILE_NAME: Final = re.compile(r"(?P<version>[0-9]{4})_[a-z0-9_]+\.sql")
_HEADER: Final = re.compile(r"-- irm schema migration (?P<version>[0-9]+): (?P<description>\S.*)")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: its number, the description its first line gives, its SQL."""

    version: int
    file_name: str
    description: str
    sql: str


class MigrationFilesError(Exception):
    """The migration files are not a well-formed sequence numbered 1, 2, … without gaps."""


def load_migrations(directory: Traversable | None = None) -> tuple[Migration, ...]:
    """The migrations in `directory` (this package's by default), in order of version.

    Every `.sql` file must be named `NNNN_name.sql` and start with the line
    `-- irm schema migration N: <description>`; the numbers must run 1, 2, … with no gap and
    no number twice. Anything else is refused, so a misnamed or missing file cannot be skipped.
    """
    where = files("shared.migrations") if directory is None else directory
    by_version: dict[int, list[Migration]] = {}
    for entry in where.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        migration = _read(entry)
        by_version.setdefault(migration.version, []).append(migration)
    if not by_version:
        raise MigrationFilesError(f"no migration files (NNNN_name.sql) in {where}")
    twice = {v: sorted(m.file_name for m in ms) for v, ms in by_version.items() if len(ms) > 1}
    if twice:
        raise MigrationFilesError(f"migration numbers used more than once in {where}: {twice}")
    missing = sorted(set(range(1, max(by_version) + 1)) - set(by_version))
    if missing:
        raise MigrationFilesError(
            f"migration numbers missing in {where}: {missing} (they must run 1, 2, … without gaps)"
        )
    return tuple(by_version[v][0] for v in sorted(by_version))


def _read(entry: Traversable) -> Migration:
    name = _FILE_NAME.fullmatch(entry.name)
    if name is None:
        raise MigrationFilesError(
            f"{entry.name}: not a migration file name (expected NNNN_name.sql, lowercase)"
        )
    version = int(name["version"])
    sql = entry.read_text(encoding="utf-8")
    header = _HEADER.fullmatch(sql.split("\n", 1)[0])
    if header is None:
        raise MigrationFilesError(
            f"{entry.name}: the first line must be "
            f"'-- irm schema migration {version}: <description>'"
        )
    if int(header["version"]) != version:
        raise MigrationFilesError(
            f"{entry.name}: its first line names migration {header['version']}, "
            f"its file name {version}"
        )
    return Migration(version, entry.name, header["description"].strip(), sql)


async def migrate(conn: asyncpg.Connection, *, up_to: int | None = None) -> list[int]:
    """Apply the migrations this database lacks (up to version `up_to`, by default all of
    them); returns the versions applied now."""
    migrations = load_migrations()
    latest = migrations[-1].version
    if up_to is not None and not 0 <= up_to <= latest:
        raise ValueError(f"no migration {up_to}: the migrations run from 1 to {latest}")
    target = latest if up_to is None else up_to
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
        for migration in migrations:
            if migration.version > target or migration.version in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO irm_schema_migrations (version, description) VALUES ($1, $2)",
                migration.version,
                migration.description,
            )
            applied_now.append(migration.version)
    return applied_now


async def schema_version(conn: asyncpg.Connection) -> int:
    """The highest migration applied to this database (0 for an empty one)."""
    exists = await conn.fetchval("SELECT to_regclass('irm_schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM irm_schema_migrations"))
