-- irm schema migration 3: webhook subscriptions, deliveries and attempts
-- A landed migration never changes; a change is a new file with the next number.
-- The statements below are, byte for byte, what the code executed before migrations became files.

CREATE TABLE IF NOT EXISTS irm_subscriptions (
    id uuid PRIMARY KEY,
    url text NOT NULL,
    event_types text[] NOT NULL,
    severities text[] NOT NULL,
    description text,
    status text NOT NULL CHECK (status IN ('active', 'paused', 'disabled')),
    disabled_reason text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS irm_subscription_secrets (
    subscription_id uuid NOT NULL REFERENCES irm_subscriptions (id) ON DELETE CASCADE,
    secret text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    PRIMARY KEY (subscription_id, secret)
);
CREATE TABLE IF NOT EXISTS irm_deliveries (
    id uuid PRIMARY KEY,
    seq bigserial NOT NULL UNIQUE,
    subscription_id uuid NOT NULL REFERENCES irm_subscriptions (id) ON DELETE CASCADE,
    incident_id uuid NOT NULL,
    position bigint NOT NULL,
    event_version bigint NOT NULL,
    event_type text NOT NULL,
    message_id text NOT NULL,
    body bytea NOT NULL,
    cause text NOT NULL CHECK (cause IN ('live', 'redeliver', 'replay')),
    status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_status_code integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX IF NOT EXISTS irm_deliveries_due_idx
    ON irm_deliveries (next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS irm_deliveries_order_idx
    ON irm_deliveries (subscription_id, incident_id, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS irm_deliveries_log_idx ON irm_deliveries (subscription_id, seq DESC);
CREATE TABLE IF NOT EXISTS irm_delivery_attempts (
    delivery_id uuid NOT NULL REFERENCES irm_deliveries (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    started_at timestamptz NOT NULL,
    status_code integer,
    latency_ms double precision NOT NULL,
    error text,
    PRIMARY KEY (delivery_id, attempt)
);
CREATE TABLE IF NOT EXISTS irm_notifier_incidents (
    id uuid PRIMARY KEY,
    number bigint NOT NULL,
    title text NOT NULL,
    severity text,
    status text NOT NULL,
    customer_contact_at timestamptz NOT NULL,
    overdue_reminders integer NOT NULL,
    version bigint NOT NULL
);
