-- irm schema migration 15: the on-call log (schedules, escalation policies, services)
-- A landed migration never changes; a change is a new file with the next number.
-- Every change to a schedule, an escalation policy or a service is an event in its own stream
-- (stream_id, version 1, 2, ...): a duplicate (stream_id, version) is a concurrent change and is
-- refused. They are kept apart from irm_events, whose followers (projector, notifier, webhooks)
-- handle incident events only. recorded_at is when the change took effect: a schedule answers
-- who was on call at an instant as it stood then.

CREATE TABLE irm_oncall_events (
    stream_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    stream_type text NOT NULL CHECK (stream_type IN ('schedule', 'escalation_policy', 'service')),
    type text NOT NULL,
    data jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by text NOT NULL,
    PRIMARY KEY (stream_id, version)
);
CREATE INDEX irm_oncall_events_type_idx ON irm_oncall_events (stream_type, stream_id);
-- A service's name is how incidents name it: one service per name.
CREATE UNIQUE INDEX irm_oncall_service_name_idx ON irm_oncall_events ((data ->> 'name'))
    WHERE stream_type = 'service' AND version = 1;
