-- irm schema migration 5: appends in one statement: irm_append_events()
-- A landed migration never changes; a change is a new file with the next number.
-- The statements below are, byte for byte, what the code executed before migrations became files.

CREATE OR REPLACE FUNCTION irm_append_events(
    ids uuid[], versions bigint[], topics text[], states bytea[], wait_for_lock text
) RETURNS bigint LANGUAGE plpgsql AS $append$
DECLARE
    last_position bigint;
    taken uuid;
BEGIN
    PERFORM set_config('lock_timeout', wait_for_lock, true);
    LOCK TABLE irm_events IN EXCLUSIVE MODE;
    PERFORM pg_notify('irm_events', '');
    WITH inserted AS (
        INSERT INTO irm_events (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(ids, versions, topics, states)
        ON CONFLICT DO NOTHING
        RETURNING originator_id, originator_version, notification_id
    )
    SELECT
        (SELECT max(notification_id) FROM inserted),
        (SELECT wanted.id
            FROM unnest(ids, versions) WITH ORDINALITY AS wanted (id, version, n)
            WHERE NOT EXISTS (
                SELECT 1 FROM inserted
                WHERE inserted.originator_id = wanted.id
                  AND inserted.originator_version = wanted.version)
            ORDER BY wanted.n
            LIMIT 1)
    INTO last_position, taken;
    IF taken IS NOT NULL THEN
        RAISE EXCEPTION 'stream % was changed concurrently', taken
            USING ERRCODE = 'unique_violation', DETAIL = taken::text;
    END IF;
    RETURN last_position;
END
$append$;
