-- irm schema migration 11: links between incidents
-- A landed migration never changes; a change is a new file with the next number.
-- Each incident's links to others (IncidentLinked), in both directions: other_id,
-- other_reference, relation and direction. No event stored before this migration is a link, so
-- every existing row is the empty list: exactly what a replay of their events gives.
ALTER TABLE rm_incidents ADD COLUMN links jsonb NOT NULL DEFAULT '[]';
