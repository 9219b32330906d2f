-- irm schema migration 9: the people irm knows, whom a role may be given to
-- A landed migration never changes; a change is a new file with the next number.
-- A person is a handle (the name a token or a sign-in carries, and that events record) and a
-- display name. Giving an incident role to a handle that is not here is refused, so a typo
-- cannot take command of an incident. Everyone who already has a token, owns an incident or
-- holds a role on one is known from the start.

CREATE TABLE irm_people (
    handle text PRIMARY KEY,
    display_name text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text
);

INSERT INTO irm_people (handle, created_by)
SELECT principal, 'migration' FROM irm_api_tokens
UNION
SELECT owner, 'migration' FROM rm_incidents
UNION
SELECT holder.value, 'migration' FROM rm_incidents, jsonb_each_text(rm_incidents.roles) AS holder
ON CONFLICT (handle) DO NOTHING;
