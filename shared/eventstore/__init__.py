"""The event store: eventsourcing's PostgreSQL schema, written and read with asyncpg."""
