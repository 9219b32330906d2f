-- irm schema migration 7: API tokens gain a public id, an expiry, revocation and their last use
-- A landed migration never changes; a change is a new file with the next number.
-- Existing tokens keep working: each gets a public id, no expiry, and is not revoked.
-- The public id names a token in `irm tokens list` and /v1/tokens; it is neither the secret nor
-- its hash. A revocation is announced on the channel irm_tokens (see shared/tokens.py).

ALTER TABLE irm_api_tokens
    ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN revoked_at timestamptz,
    ADD COLUMN revoked_by text,
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN created_by text;
ALTER TABLE irm_api_tokens ADD CONSTRAINT irm_api_tokens_id_key UNIQUE (id);
