-- irm schema migration 18: paging (when each incident's next paging step is due, pages to deliver, first page and acknowledgement in the incidents read model)
-- A landed migration never changes; a change is a new file with the next number.
-- The notifier's paging follower (tracking name `notifier paging`) keeps, per incident that has
-- services, when the escalation policy next needs a decision (`due_at`: the declaration for the
-- first page, a level's timeout after it was paged; NULL once acknowledged, exhausted, resolved
-- or closed), and queues one delivery per Paged event and contact method of the person paged,
-- in the same transaction as its tracking position. No paging event existed before this
-- migration, so both tables start empty and the new read-model columns NULL.
CREATE TABLE irm_paging (
    incident_id uuid PRIMARY KEY,
    number integer NOT NULL,
    title text NOT NULL,
    due_at timestamptz
);
CREATE INDEX irm_paging_due_idx ON irm_paging (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE irm_pages (
    incident_id uuid NOT NULL,
    version bigint NOT NULL,
    method_id uuid NOT NULL,
    person text NOT NULL,
    level integer NOT NULL,
    reason text NOT NULL,
    paged_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at timestamptz,
    failed_at timestamptz,
    last_detail text,
    PRIMARY KEY (incident_id, version, method_id)
);
CREATE INDEX irm_pages_due_idx ON irm_pages (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

ALTER TABLE rm_incidents ADD COLUMN paged_at timestamptz;
ALTER TABLE rm_incidents ADD COLUMN acknowledged_at timestamptz;
