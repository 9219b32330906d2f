-- irm schema migration 10: the impact window on incidents and timeline entries added later
-- A landed migration never changes; a change is a new file with the next number.
-- When the impact began (started_at) and when someone noticed it (detected_at), from Declared
-- or ImpactWindowSet. No event stored before this migration has either, so existing rows stay
-- NULL: exactly what a replay of their events gives.
ALTER TABLE rm_incidents ADD COLUMN started_at timestamptz;
ALTER TABLE rm_incidents ADD COLUMN detected_at timestamptz;

-- A timeline entry added later (TimelineEntryAdded) is placed at the moment it tells of
-- (occurred_at); added_at is when it was recorded. NULL for every other entry.
ALTER TABLE rm_timeline ADD COLUMN added_at timestamptz;
