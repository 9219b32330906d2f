"""The events table is eventsourcing's: its own PostgreSQL recorder reads what we write, and back.

eventsourcing's recorder is synchronous (psycopg); its calls run in a thread so the event loop
(and our asyncpg pool on it) keeps going.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from shared.domain.incident import Incident
from shared.eventstore.mapper import build_mapper
from shared.eventstore.repository import IncidentRepository
from shared.eventstore.schema import EVENTS_TABLE
from shared.eventstore.store import ConcurrencyConflictError, EventStore
from tests.integration.conftest import ALICE, declare_incident, post_updates


def datastore_at(url: str) -> PostgresDatastore:
    """eventsourcing's datastore on the asyncpg URL's database (a socket dir comes as ?host=)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return PostgresDatastore(
        dbname=unquote(parts.path.lstrip("/")),
        host=query.get("host", [parts.hostname or "localhost"])[0],
        port=str(parts.port or query.get("port", ["5432"])[0]),
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
    )


@pytest.fixture
def recorder(database_url: str) -> Iterator[PostgresApplicationRecorder]:
    """eventsourcing's application recorder on the test's database and our events table."""
    datastore = datastore_at(database_url)
    try:
        yield PostgresApplicationRecorder(datastore, events_table_name=EVENTS_TABLE)
    finally:
        datastore.close()


async def table_definition(pool: asyncpg.Pool, table: str) -> dict[str, Any]:
    """Columns, constraints, indexes and storage options of one table, as the catalog says."""
    columns = await pool.fetch(
        """SELECT column_name, data_type, is_nullable, column_default
           FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position""",
        table,
    )
    constraints = await pool.fetch(
        """SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint
           WHERE conrelid = $1::regclass ORDER BY conname""",
        table,
    )
    indexes = await pool.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
        table,
    )
    options = await pool.fetchval("SELECT reloptions FROM pg_class WHERE oid = $1::regclass", table)
    return {
        "columns": [tuple(r) for r in columns],
        "constraints": [tuple(r) for r in constraints],
        "indexes": [tuple(r) for r in indexes],
        "options": sorted(options or []),
    }


async def test_eventsourcing_reads_the_events_we_append(
    store: EventStore, recorder: PostgresApplicationRecorder
) -> None:
    incident = declare_incident()
    incident.change_severity(ALICE, severity="P1", reason="all regions")
    post_updates(incident, 2)
    incident.resolve(ALICE, resolution="restored", summary="rolled back")
    events = incident.collect_events()
    await store.append(events)
    log = await store.read_log(after=0, limit=100)

    selected = await asyncio.to_thread(recorder.select_events, incident.id)
    notifications = await asyncio.to_thread(recorder.select_notifications, start=1, limit=100)
    newest = await asyncio.to_thread(recorder.max_notification_id)

    assert selected == [store.mapper.to_stored_event(e) for e in events]
    assert [(n.id, n.originator_id, n.originator_version) for n in notifications] == [
        (r.position, r.originator_id, r.version) for r in log
    ]
    assert [(n.topic, n.state) for n in notifications] == [(s.topic, s.state) for s in selected]
    assert newest == await store.max_position()
    mapper = build_mapper()
    assert [mapper.to_domain_event(s) for s in selected] == events
    assert [mapper.to_domain_event(n) for n in notifications] == events


async def test_eventsourcings_create_table_leaves_our_events_table_as_it_is(
    pool: asyncpg.Pool, recorder: PostgresApplicationRecorder
) -> None:
    before = await table_definition(pool, EVENTS_TABLE)

    # It adds a composite type and an insert function; the table and index already exist.
    await asyncio.to_thread(recorder.create_table)

    assert await table_definition(pool, EVENTS_TABLE) == before


async def test_we_read_and_replay_the_events_eventsourcing_inserts(
    store: EventStore,
    repository: IncidentRepository,
    recorder: PostgresApplicationRecorder,
) -> None:
    # Its inserts bind a composite type that only its create_table() makes.
    await asyncio.to_thread(recorder.create_table)
    ours = declare_incident(1)
    await store.append(ours.collect_events())
    theirs = declare_incident(2)
    theirs.assign_role(ALICE, role="communications_lead", assignee="carol", note=None)
    theirs.link_ticket(ALICE, system="jira", key="OPS-2", url=None)
    post_updates(theirs, 3)
    events = theirs.collect_events()
    stored = [build_mapper().to_stored_event(e) for e in events]

    notification_ids = await asyncio.to_thread(recorder.insert_events, stored)

    assert notification_ids is not None
    stream = await store.read_stream(theirs.id)
    assert [r.event for r in stream] == events
    assert [r.position for r in stream] == list(notification_ids)
    log = await store.read_log(after=0, limit=100)
    assert [r.originator_id for r in log] == [ours.id] + [theirs.id] * len(events)
    assert await store.max_position() == max(notification_ids)
    replayed: Incident | None = None
    for recorded in stream:
        replayed = recorded.event.mutate(replayed)
    assert replayed is not None
    assert vars(replayed) == vars(theirs)
    loaded = await repository.get(theirs.id)
    assert vars(loaded) == vars(theirs)
    assert loaded.roles == {"communications_lead": "carol"}
    assert loaded.version == 6


async def test_a_version_eventsourcing_wrote_is_a_conflict_for_us(
    store: EventStore, recorder: PostgresApplicationRecorder
) -> None:
    await asyncio.to_thread(recorder.create_table)
    incident = declare_incident()
    post_updates(incident, 1)
    events = incident.collect_events()
    await asyncio.to_thread(recorder.insert_events, [store.mapper.to_stored_event(events[0])])

    with pytest.raises(ConcurrencyConflictError):
        await store.append(events)

    assert [r.version for r in await store.read_stream(incident.id)] == [1]
