-- irm schema migration 13: the contributing factors of each incident's review, by number
-- A landed migration never changes; a change is a new file with the next number.
-- Factors can be edited and withdrawn since issue 11, so factor_categories is derived from
-- this list ({id, category, withdrawn}) rather than only ever growing. Before this migration
-- no factor was edited or withdrawn, so each incident's list is its ContributingFactorAdded
-- events in order, numbered from 1: exactly what a replay of its events gives (the aggregate
-- numbers them the same way). The category is read with a pattern, not a jsonb cast, as in
-- migration 8: a factor's text may hold what jsonb refuses (a NUL), and inside a JSON string a
-- quote is always escaped, so the pattern only matches the field itself.
ALTER TABLE rm_incidents ADD COLUMN factors jsonb NOT NULL DEFAULT '[]';

UPDATE rm_incidents AS incident
SET factors = added.factors
FROM (
    SELECT originator_id,
           jsonb_agg(
               jsonb_build_object('id', n::text, 'category', category, 'withdrawn', false)
               ORDER BY n
           ) AS factors
    FROM (
        SELECT originator_id,
               row_number() OVER (PARTITION BY originator_id ORDER BY originator_version) AS n,
               substring(convert_from(state, 'UTF8') FROM '"category":"([a-z_]+)"') AS category
        FROM irm_events
        WHERE topic = 'irm:Incident.ContributingFactorAdded'
    ) AS numbered
    GROUP BY originator_id
) AS added
WHERE incident.id = added.originator_id;
