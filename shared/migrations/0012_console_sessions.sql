-- irm schema migration 12: the web console's sign-in sessions
-- A landed migration never changes; a change is a new file with the next number.
-- A person signs in to the console (/ui) by pasting an API token once. The browser keeps only
-- a random secret in an HttpOnly cookie; this table is keyed by the secret's SHA-256 and holds
-- the token sealed (AES-GCM) with a key derived from that same secret, so neither a copy of
-- this table nor the page's JavaScript can reveal a token. Signing out deletes the row.

CREATE TABLE irm_console_sessions (
    id bytea PRIMARY KEY,
    principal text NOT NULL,
    scope text NOT NULL,
    sealed_token bytea NOT NULL,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX irm_console_sessions_expires_at ON irm_console_sessions (expires_at);
