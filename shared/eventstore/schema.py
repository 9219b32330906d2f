"""Names of the event store's tables, channel and append function.

The events and snapshots tables keep eventsourcing's own PostgreSQL schema (table names as its
`PostgresFactory` would choose for an application named "irm"), so its recorders can read what
we write and the reverse. They, like every other table, are created by the fixed SQL files of
`shared.migrations`; `migrate` and `schema_version` are re-exported here for the callers that
import them from this module.
"""

from __future__ import annotations

from typing import Final

from shared.migrations import migrate, schema_version

EVENTS_TABLE: Final = "irm_events"
SNAPSHOTS_TABLE: Final = "irm_snapshots"
# eventsourcing names its NOTIFY channel after the events table.
EVENTS_CHANNEL: Final = EVENTS_TABLE

# One append in one statement (schema migration 5): under lock_timeout, take the EXCLUSIVE lock
# (notification ids are then issued in commit order), NOTIFY, insert. Conflicting rows are
# skipped rather than raised, so the error can name the first stream that was taken; raising
# then rolls back the whole append. The caller's transaction, or the statement's own, commits.
APPEND_FUNCTION: Final = "irm_append_events"

__all__ = [
    "APPEND_FUNCTION",
    "EVENTS_CHANNEL",
    "EVENTS_TABLE",
    "SNAPSHOTS_TABLE",
    "migrate",
    "schema_version",
]
