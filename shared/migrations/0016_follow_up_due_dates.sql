-- irm schema migration 16: each follow-up's first due date, due-date changes and overdue reminder
-- A landed migration never changes; a change is a new file with the next number.
-- Since issue 11 "completed on time" compares the completion with the FIRST due date, so the
-- follow-ups read model keeps it (original_due_date), with how often the due date moved
-- (due_date_changes) and the due date a FollowUpOverdue was recorded for (overdue_for; none was
-- before this migration). Existing rows get them from the log: the due_date of the
-- follow-up's FollowUpAdded and the number of its FollowUpDueDateChanged events. Both fields are
-- read with a pattern, not a jsonb cast, as in migration 8: a title or a reason may hold what
-- jsonb refuses (a NUL), and inside a JSON string a quote is always escaped, so a pattern only
-- matches the field itself.
ALTER TABLE rm_follow_ups ADD COLUMN original_due_date date;
ALTER TABLE rm_follow_ups ADD COLUMN due_date_changes integer NOT NULL DEFAULT 0;
ALTER TABLE rm_follow_ups ADD COLUMN overdue_for date;

UPDATE rm_follow_ups AS follow_up
SET original_due_date = added.due_date
FROM (
    SELECT substring(convert_from(state, 'UTF8')
                     FROM '"follow_up_id":"([0-9a-f-]{36})"')::uuid AS id,
           substring(convert_from(state, 'UTF8')
                     FROM '"due_date":"([0-9]{4}-[0-9]{2}-[0-9]{2})"')::date AS due_date
    FROM irm_events
    WHERE topic = 'irm:Incident.FollowUpAdded'
) AS added
WHERE follow_up.id = added.id;

UPDATE rm_follow_ups AS follow_up
SET due_date_changes = moved.changes
FROM (
    SELECT substring(convert_from(state, 'UTF8')
                     FROM '"follow_up_id":"([0-9a-f-]{36})"')::uuid AS id,
           count(*) AS changes
    FROM irm_events
    WHERE topic = 'irm:Incident.FollowUpDueDateChanged'
    GROUP BY 1
) AS moved
WHERE follow_up.id = moved.id;
