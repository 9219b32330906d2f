-- irm schema migration 6: parked events: events a follower could not handle and passed
-- A landed migration never changes; a change is a new file with the next number.
-- One row per (follower, event) that the follower (projector, notifier) could not handle: it
-- recorded the event here, with why, and went on with the next one. See docs/operations.md.

CREATE TABLE irm_parked_events (
    follower text NOT NULL,
    position bigint NOT NULL,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    error text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower, position)
);
