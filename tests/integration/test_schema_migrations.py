"""Migrations are fixed SQL files, run once each, in order, however many replicas start at the
same time; step by step or in one go they give the same schema, and the rebuild's live
read-model DDL gives the tables the migrations leave."""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import tomllib
import uuid
from importlib.resources import files
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
import pytest_asyncio

from services.projector.rebuild import BUILD_SCHEMA, rebuild_read_models
from services.projector.settings import ProjectorSettings
from shared.eventstore.mapper import build_mapper
from shared.eventstore.schema import (
    APPEND_FUNCTION,
    EVENTS_TABLE,
    SNAPSHOTS_TABLE,
    migrate,
    schema_version,
)
from shared.eventstore.store import EventStore
from shared.migrations import MigrationFilesError, load_migrations
from shared.readmodels.ddl import FOLLOW_UPS, INCIDENTS, TIMELINE, TRACKING, read_model_ddl
from tests.conftest import EmptyDatabase
from tests.integration.conftest import ALICE, declare_incident

MIGRATIONS = load_migrations()
LATEST = MIGRATIONS[-1].version
ALL_VERSIONS = [m.version for m in MIGRATIONS]
REPLICAS = 8
READ_MODELS = (INCIDENTS, TIMELINE, FOLLOW_UPS)
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# A landed migration never changes: its SHA-256 is recorded here when it lands. A failure here
# means a landed file was edited; put the change in a new file with the next number instead.
LANDED: dict[str, str] = {
    "0001_event_store.sql": "da2d25ec94ddbc44b6067ab7ab5bba17579f8774008b9afd704251585351c198",
    "0002_read_models.sql": "54137fb8dcb1504af749a6126430caa2529f0f41bf97985472ce0d63e725e368",
    "0003_webhooks.sql": "39977a32b02d824ddd757d9bce640adb0349fea8488ef7e4c1ffc494a7f47486",
    "0004_read_models_review.sql": (
        "f8c84d81f32f02ea507cd6a69a40b961f0dcfef94dd433bb72bb4be6e6f9e629"
    ),
    "0005_append_function.sql": "ef54dde863b50420a6c7926d98439be10c5a7d2a0699d65f5cada32150b1af5b",
    "0006_parked_events.sql": "28dbb9ddc33c0a4917099f1685b35068a4f6411dce1190cc73da9b30736e461f",
    "0007_token_lifecycle.sql": "7e0c2a436d08d9c1141550532a200bf4c17e8ccf6169290c3512a7523d66bf28",
    "0008_peak_severity.sql": "59d6f8a6ace564c50a3144d976612bd9bdc574d54060ed338d4218cced828e83",
    "0009_people.sql": "dba456b41fe02bc9aeef268c7ab208a31f012d09c1e0f80bfb5fc1efd570ad47",
    "0010_impact_window.sql": "2d01b3b7d10cef22900ed44eed40294ed9af72d26c6411ce0b80806bb0213459",
    "0011_incident_links.sql": "c484c1617139d8d80ed927533aece3f2836b86dfc732cf3456eb5f5320dff0ee",
    "0012_console_sessions.sql": "14ad49e2e93d2ee4c8f3aaa51862d286d70866f85cbc46b6edcf3c680d3e451c",
    "0013_review_factors.sql": "fcd54f74b782cae9956ab10a30d523e42454deb9d504baa614a8008e355607a1",
    "0014_people_contacts.sql": "fccfa165dd87513309e7a154a40619d8e73bd08ecc3c9c795bc1b7df3e764066",
    "0015_oncall_events.sql": "47528fb74cd259b1cf3a5c6eb4b94eed117a757a444968f850cd3514465eb1ff",
    "0016_follow_up_due_dates.sql": (
        "03f22ff5aeaea76e07fdcde55f05ae2cf0a8117a72b01114fa779258f3952164"
    ),
    "0017_alert_intake.sql": "a3a34b507588c28b9b73263bbffb915797f276012a5b9eb5e3ebeb14fb7cf9c9",
    "0018_paging.sql": "c85f8791ddfeff9d9c7fdeaa88104e00ed90c95fcddb23a9824a09215dff3e33",
    "0019_handovers.sql": "e76b3d3e20abf2537f1b6da7db3e3e9c08227fbce321625ee804e8f21cabd54b",
}


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database_url(make_empty_database: EmptyDatabase) -> str:
    """One database of this test's own with nothing in it."""
    return await make_empty_database()


async def migrate_once(url: str, up_to: int | None = None) -> list[int]:
    """What one replica does when it starts: connect and migrate."""
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn, up_to=up_to)
    finally:
        await conn.close()


# --- the schema as the catalogs describe it --------------------------------------------------

_CATALOG: dict[str, str] = {
    "relations": """
        SELECT n.nspname, c.relname, c.relkind::text, c.relpersistence::text, c.reloptions::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1::text[])
        ORDER BY 1, 2""",
    "columns": """
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
            a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text,
            a.attgenerated::text, a.attcollation::regcollation::text
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2, a.attnum""",
    "indexes": """
        SELECT n.nspname, c.relname, i.relname, pg_get_indexdef(x.indexrelid)
        FROM pg_index x
        JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1::text[])
        ORDER BY 1, 2, 3""",
    "constraints": """
        SELECT n.nspname, c.relname, k.conname, k.contype::text, pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1::text[])
        ORDER BY 1, 2, 3""",
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
            pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY($1::text[])
        ORDER BY 1, 2, 3""",
    "sequences": """
        SELECT schemaname, sequencename, data_type::text, start_value, min_value, max_value,
            increment_by, cycle, cache_size
        FROM pg_sequences
        WHERE schemaname = ANY($1::text[])
        ORDER BY 1, 2""",
    "sequence_owners": """
        SELECT n.nspname, s.relname, t.relname, a.attname, d.deptype::text
        FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
            AND n.nspname = ANY($1::text[])
        ORDER BY 1, 2""",
    "triggers": """
        SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname = ANY($1::text[])
        ORDER BY 1, 2, 3""",
    "views": """
        SELECT schemaname, viewname, definition FROM pg_views
        WHERE schemaname = ANY($1::text[])
        ORDER BY 1, 2""",
}

Catalog = dict[str, list[tuple[Any, ...]]]


async def catalog_of(conn: asyncpg.Connection, schemas: list[str] | None = None) -> Catalog:
    """Every schema object in `schemas` (by default every schema but the system's): tables,
    columns with types, nullability and defaults, indexes, constraints, functions, sequences,
    triggers, views, and the schemas themselves."""
    if schemas is None:
        schemas = [
            r["nspname"]
            for r in await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' "
                "AND nspname NOT LIKE 'pg\\_%' ORDER BY nspname"
            )
        ]
    catalog: Catalog = {"schemas": [(s,) for s in schemas]}
    for kind, query in _CATALOG.items():
        catalog[kind] = [tuple(r.values()) for r in await conn.fetch(query, schemas)]
    return catalog


async def catalog_at(url: str) -> Catalog:
    conn = await asyncpg.connect(url)
    try:
        return await catalog_of(conn)
    finally:
        await conn.close()


def read_model_tables(catalog: Catalog, schema: str) -> Catalog:
    """The read-model tables' columns, indexes, constraints and storage options in `schema`,
    with the schema's name taken out so two schemas can be compared."""

    def plain(value: Any) -> Any:
        return value.replace(f"{schema}.", "") if isinstance(value, str) else value

    tables: Catalog = {}
    for kind in ("columns", "indexes", "constraints", "relations"):
        tables[kind] = [
            tuple(plain(v) for v in row[1:])
            for row in catalog[kind]
            if row[0] == schema and row[1] in READ_MODELS
        ]
    return tables


# --- the files ---------------------------------------------------------------------------------


def test_the_migrations_are_numbered_one_to_latest_and_described() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert all(m.description for m in MIGRATIONS)
    assert MIGRATIONS[0].description == (
        "event store, snapshots, incident numbers, API tokens, idempotency keys"
    )


def test_a_landed_migration_never_changes() -> None:
    shipped = {m.file_name: hashlib.sha256(m.sql.encode()).hexdigest() for m in MIGRATIONS}
    # Every landed file is still there, unchanged; a new migration is added to LANDED.
    assert shipped == LANDED


def test_the_migration_files_are_package_data() -> None:
    # A non-editable install (a wheel) ships only the package data pyproject.toml names.
    package_data = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["shared.migrations"]
    for migration in MIGRATIONS:
        assert any(fnmatch.fnmatch(migration.file_name, p) for p in patterns), migration
    assert files("shared.migrations").joinpath("__init__.py").is_file()


def write_migrations(directory: Path, *names: str) -> Path:
    for name in names:
        version = int(name[:4])
        (directory / name).write_text(
            f"-- irm schema migration {version}: table {version}\n"
            f"CREATE TABLE t{version} (id int);\n"
        )
    return directory


def test_a_well_formed_directory_loads_in_order(tmp_path: Path) -> None:
    write_migrations(tmp_path, "0002_b.sql", "0001_a.sql", "0003_c.sql")
    (tmp_path / "README.md").write_text("not a migration")

    loaded = load_migrations(tmp_path)

    assert [(m.version, m.file_name, m.description) for m in loaded] == [
        (1, "0001_a.sql", "table 1"),
        (2, "0002_b.sql", "table 2"),
        (3, "0003_c.sql", "table 3"),
    ]


def test_a_directory_with_a_gap_is_refused(tmp_path: Path) -> None:
    write_migrations(tmp_path, "0001_a.sql", "0002_b.sql", "0004_d.sql")

    with pytest.raises(MigrationFilesError, match=r"missing .*\[3\]"):
        load_migrations(tmp_path)


def test_a_directory_not_starting_at_one_is_refused(tmp_path: Path) -> None:
    write_migrations(tmp_path, "0002_b.sql", "0003_c.sql")

    with pytest.raises(MigrationFilesError, match=r"missing .*\[1\]"):
        load_migrations(tmp_path)


def test_a_directory_with_a_number_twice_is_refused(tmp_path: Path) -> None:
    write_migrations(tmp_path, "0001_a.sql", "0002_b.sql", "0002_other.sql", "0003_c.sql")

    with pytest.raises(MigrationFilesError, match=r"more than once.*0002_b\.sql.*0002_other\.sql"):
        load_migrations(tmp_path)


@pytest.mark.parametrize("name", ["1_a.sql", "0001-a.sql", "0001_A.sql", "v0001_a.sql"])
def test_a_misnamed_sql_file_is_refused(tmp_path: Path, name: str) -> None:
    write_migrations(tmp_path, "0001_a.sql")
    (tmp_path / name).write_text("-- irm schema migration 2: misnamed\nSELECT 1;\n")

    with pytest.raises(MigrationFilesError, match="not a migration file name"):
        load_migrations(tmp_path)


def test_a_file_whose_first_line_is_not_its_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE t (id int);\n")

    with pytest.raises(MigrationFilesError, match="first line must be"):
        load_migrations(tmp_path)


def test_a_header_naming_another_number_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("-- irm schema migration 2: wrong\nSELECT 1;\n")

    with pytest.raises(MigrationFilesError, match="names migration 2"):
        load_migrations(tmp_path)


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MigrationFilesError, match="no migration files"):
        load_migrations(tmp_path)


# --- applying them ------------------------------------------------------------------------------


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
        recorded = await conn.fetch(
            "SELECT version, description FROM irm_schema_migrations ORDER BY version"
        )
        assert [(r["version"], r["description"]) for r in recorded] == [
            (m.version, m.description) for m in MIGRATIONS
        ]
    finally:
        await conn.close()


async def test_a_migrated_database_needs_nothing_more(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await schema_version(conn) == LATEST
        assert await migrate(conn) == []


async def test_the_names_the_code_uses_are_what_the_migrations_made(pool: asyncpg.Pool) -> None:
    for table in (EVENTS_TABLE, SNAPSHOTS_TABLE, TRACKING, *READ_MODELS):
        assert await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", table), table
    assert await pool.fetchval("SELECT to_regproc($1) IS NOT NULL", APPEND_FUNCTION)


async def test_migrate_up_to_stops_there_and_refuses_unknown_versions(
    empty_database_url: str,
) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await migrate(conn, up_to=0) == []
        assert await migrate(conn, up_to=2) == [1, 2]
        assert await schema_version(conn) == 2
        assert await conn.fetchval("SELECT to_regclass('irm_subscriptions')") is None
        assert await migrate(conn, up_to=1) == []
        with pytest.raises(ValueError, match="no migration"):
            await migrate(conn, up_to=LATEST + 1)
        with pytest.raises(ValueError, match="no migration"):
            await migrate(conn, up_to=-1)
        assert await migrate(conn) == ALL_VERSIONS[2:]
    finally:
        await conn.close()


async def test_step_by_step_gives_the_same_schema_as_all_at_once(
    make_empty_database: EmptyDatabase,
) -> None:
    stepwise, at_once = await make_empty_database(), await make_empty_database()

    for version in ALL_VERSIONS:
        assert await migrate_once(stepwise, up_to=version) == [version]
    assert await migrate_once(at_once) == ALL_VERSIONS

    stepwise_catalog, at_once_catalog = await catalog_at(stepwise), await catalog_at(at_once)
    assert stepwise_catalog == at_once_catalog
    # The comparison saw the whole schema, not an empty one.
    assert {r[1] for r in at_once_catalog["relations"] if r[2] == "r"} >= {
        EVENTS_TABLE,
        SNAPSHOTS_TABLE,
        TRACKING,
        "irm_deliveries",
        "irm_schema_migrations",
        *READ_MODELS,
    }
    assert [r[1] for r in at_once_catalog["functions"]] == [APPEND_FUNCTION]
    assert at_once_catalog["sequences"]
    assert at_once_catalog["constraints"]


async def test_the_rebuilds_read_model_ddl_makes_what_the_migrations_made(
    pool: asyncpg.Pool,
) -> None:
    side = f"irm_ddl_{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE SCHEMA {side};" + read_model_ddl(side))
        catalog = await catalog_of(conn, ["public", side])

    migrated, live_ddl = read_model_tables(catalog, "public"), read_model_tables(catalog, side)
    assert live_ddl == migrated
    assert {row[0] for row in migrated["columns"]} == set(READ_MODELS)
    assert migrated["indexes"]
    assert migrated["constraints"]


async def test_a_rebuild_leaves_the_schema_the_migrations_made(
    pool: asyncpg.Pool, store: EventStore, projector_settings: ProjectorSettings
) -> None:
    async with pool.acquire() as conn:
        before = await catalog_of(conn)

    await rebuild_read_models(pool, store, projector_settings.cadence())

    async with pool.acquire() as conn:
        after = await catalog_of(conn)
    assert after == before
    assert BUILD_SCHEMA not in {s for (s,) in after["schemas"]}


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


# --- what a migration does to data already there ---------------------------------------------


async def test_migration_8_gives_existing_incidents_their_peak_from_the_log(
    empty_database_url: str,
) -> None:
    assert await migrate_once(empty_database_url, up_to=7) == list(range(1, 8))
    downgraded = declare_incident(1, severity="P1")
    downgraded.change_severity(ALICE, severity="P3", reason="one region only")
    raised = declare_incident(2, severity=None)
    raised.change_severity(ALICE, severity="P4", reason="minor")
    raised.change_severity(ALICE, severity="P2", reason="spreading")
    # Text that quotes a severity field, and a NUL that jsonb would refuse, are read past.
    quoting = declare_incident(3, severity=None, description='"severity":"P1" and a \x00')
    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=2)
    try:
        store = EventStore(pool, build_mapper())
        for incident, severity in ((downgraded, "P3"), (raised, "P2"), (quoting, None)):
            await store.append(incident.collect_events())
            await pool.execute(_ROW_AT_VERSION_7, incident.id, incident.number, severity)

        assert await migrate_once(empty_database_url, up_to=8) == [8]

        rows = await pool.fetch(
            "SELECT number, severity, peak_severity, postmortem_required, review_pending "
            "FROM rm_incidents ORDER BY number"
        )
    finally:
        await pool.close()
    assert [tuple(r) for r in rows] == [
        (1, "P3", "P1", True, True),
        (2, "P2", "P2", True, True),
        (3, None, None, False, False),
    ]


async def test_migration_13_numbers_the_factors_already_recorded_as_a_replay_would(
    empty_database_url: str,
) -> None:
    assert await migrate_once(empty_database_url, up_to=11) == list(range(1, 12))
    reviewed = declare_incident(1, severity="P2")
    reviewed.resolve(ALICE, resolution="restored", summary="rolled back")
    reviewed.start_postmortem(ALICE, facilitator="alice")
    # Text that quotes a category field, and a NUL that jsonb would refuse, are read past.
    reviewed.add_contributing_factor(ALICE, text='"category":"other" and a \x00', category="change")
    reviewed.add_contributing_factor(ALICE, text="alert at 100%", category="detection")
    unreviewed = declare_incident(2, severity="P3")
    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=2)
    try:
        store = EventStore(pool, build_mapper())
        for incident in (reviewed, unreviewed):
            await store.append(incident.collect_events())
            await pool.execute(_ROW_AT_VERSION_7, incident.id, incident.number, "P2")

        await migrate_once(empty_database_url)

        rows = await pool.fetch("SELECT number, factors FROM rm_incidents ORDER BY number")
    finally:
        await pool.close()
    assert [(r["number"], orjson.loads(r["factors"])) for r in rows] == [
        (
            1,
            [
                {"id": "1", "category": "change", "withdrawn": False},
                {"id": "2", "category": "detection", "withdrawn": False},
            ],
        ),
        (2, []),
    ]
    numbers = [f["id"] for f in reviewed.review.contributing_factors]
    assert numbers == ["1", "2"], "the aggregate numbers them the same way"


async def test_migration_16_gives_existing_follow_ups_their_first_due_date_from_the_log(
    empty_database_url: str,
) -> None:
    assert await migrate_once(empty_database_url, up_to=15) == list(range(1, 16))
    incident = declare_incident(1, severity="P2")
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    incident.start_postmortem(ALICE, facilitator="alice")
    # A title that quotes a due_date field is read past.
    moved = incident.add_follow_up(
        ALICE, title='"due_date":"2020-01-01"', owner="erin", due_date="2026-03-05", ticket=None
    )
    for later in ("2026-03-12", "2026-03-20"):
        incident.change_follow_up_due_date(
            ALICE, follow_up_id=moved, due_date=later, reason="blocked"
        )
    kept = incident.add_follow_up(
        ALICE, title="kept", owner="erin", due_date="2026-04-01", ticket=None
    )
    pool = await asyncpg.create_pool(empty_database_url, min_size=1, max_size=2)
    try:
        await EventStore(pool, build_mapper()).append(incident.collect_events())
        for follow_up_id, due in ((moved, "2026-03-20"), (kept, "2026-04-01")):
            await pool.execute(
                "INSERT INTO rm_follow_ups (id, incident_id, title, owner, due_date, status, "
                "added_at, updated_at) VALUES ($1, $2, 't', 'erin', $3::text::date, 'open', "
                "now(), now())",
                uuid.UUID(follow_up_id),
                incident.id,
                due,
            )

        await migrate_once(empty_database_url)

        rows = await pool.fetch(
            "SELECT id, original_due_date::text, due_date_changes, overdue_for "
            "FROM rm_follow_ups ORDER BY due_date"
        )
    finally:
        await pool.close()
    assert [tuple(r) for r in rows] == [
        (uuid.UUID(moved), "2026-03-05", 2, None),
        (uuid.UUID(kept), "2026-04-01", 0, None),
    ]


# An incidents row as the projector wrote it before migration 8, with no review required.
_ROW_AT_VERSION_7 = """
    INSERT INTO rm_incidents (
        id, number, title, status, severity, criteria, services, owner, declared_by,
        declared_at, updated_at, version, position, roles, tickets, reopen_count,
        customer_update_intervals, customer_update_intervals_met, postmortem_status,
        postmortem_required, review_pending, factor_categories)
    VALUES ($1, $2, 'an incident', 'open', $3, '{}', '{}', 'alice', 'alice', now(), now(),
        1, 1, '{}', '[]', 0, 0, 0, 'none', false, false, '{}')"""
