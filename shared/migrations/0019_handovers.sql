-- irm schema migration 19: shift handovers (notices of a handover due, handovers in the incidents read model)
-- A landed migration never changes; a change is a new file with the next number.
-- A HandoverDue is delivered to both people through the pages' queue (`irm_pages`), so each
-- queued notice now says what it is (`kind`: `page` or `handover`; every row before this
-- migration was a page). The incidents read model keeps each handover due on an incident and
-- when the role's next assignment completed it (`handovers`); no HandoverDue existed before.
ALTER TABLE irm_pages ADD COLUMN kind text NOT NULL DEFAULT 'page';
ALTER TABLE rm_incidents ADD COLUMN handovers jsonb NOT NULL DEFAULT '[]';
