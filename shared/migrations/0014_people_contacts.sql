-- irm schema migration 14: people's time zones and how to reach them
-- A landed migration never changes; a change is a new file with the next number.
-- A person has a time zone (an IANA name, shown with their shifts) and contact methods: a
-- webhook URL, signed per Standard Webhooks with the method's own whsec_ secret, or an email
-- address. Pages (issue 12) go to every method of the person paged. Each method keeps its
-- place in the person's list; the same target twice is one method.

ALTER TABLE irm_people ADD COLUMN time_zone text;

CREATE TABLE irm_contact_methods (
    id uuid PRIMARY KEY,
    handle text NOT NULL REFERENCES irm_people (handle) ON DELETE CASCADE,
    place integer NOT NULL,
    type text NOT NULL CHECK (type IN ('webhook', 'email')),
    target text NOT NULL,
    secret text,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text,
    CHECK ((type = 'webhook') = (secret IS NOT NULL)),
    UNIQUE (handle, type, target)
);
CREATE INDEX irm_contact_methods_handle_idx ON irm_contact_methods (handle, place);
