-- irm schema migration 1: event store, snapshots, incident numbers, API tokens, idempotency keys
-- A landed migration never changes; a change is a new file with the next number.
-- The statements below are, byte for byte, what the code executed before migrations became files.

        CREATE TABLE IF NOT EXISTS irm_events (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            notification_id bigserial,
            PRIMARY KEY (originator_id, originator_version)
        ) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);
        CREATE UNIQUE INDEX IF NOT EXISTS irm_events_notification_id_idx
            ON irm_events (notification_id ASC);
        CREATE TABLE IF NOT EXISTS irm_snapshots (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            PRIMARY KEY (originator_id, originator_version)
        ) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);
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
        