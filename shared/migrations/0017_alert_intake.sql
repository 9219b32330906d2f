-- irm schema migration 17: alert intake (integrations, their keys, every inbound payload raw, alert groups)
-- A landed migration never changes; a change is a new file with the next number.
-- An integration is a monitoring system (Alertmanager, Grafana) allowed to send alerts. Its key
-- is shown once; only its SHA-256 is kept, as for API tokens. Every payload an integration sends
-- is kept as it arrived (body bytes and content type) BEFORE it is parsed, and its outcome is
-- written when it has been handled, so nothing sent is lost, a malformed payload included. An
-- alert group (Alertmanager's groupKey, Grafana's group) maps to the incident it declared; the
-- intake declares a new one for the group only when that incident is no longer open.

CREATE TABLE irm_integrations (
    id uuid PRIMARY KEY,
    type text NOT NULL CHECK (type IN ('alertmanager', 'grafana')),
    name text NOT NULL,
    rules jsonb NOT NULL,
    key_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by text NOT NULL
);

CREATE TABLE irm_alert_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id uuid NOT NULL REFERENCES irm_integrations (id),
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    content_type text,
    body bytea NOT NULL,
    outcome text NOT NULL DEFAULT 'received',
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    processed_at timestamptz
);
CREATE INDEX irm_alert_deliveries_integration_idx ON irm_alert_deliveries (integration_id, id);

CREATE TABLE irm_alert_groups (
    integration_id uuid NOT NULL REFERENCES irm_integrations (id),
    group_key text NOT NULL,
    incident_id uuid NOT NULL,
    declared_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (integration_id, group_key)
);
