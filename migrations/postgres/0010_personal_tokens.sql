-- Accounts and account security (SPEC §7): personal access tokens, the
-- platform's "private tokens". A script or CI job presents one to the Open
-- API like an access token; it belongs to a user and no application.

-- Each token is stored only as the SHA-256 hash of its clear text (`gpt_…`,
-- shown to its owner once) and looked up by it. `expires_at` is NULL for a
-- token that never expires; `last_used_at` is written at most once a minute
-- (src/domain/personal_token.rs). Revoking deletes the row; so does deleting
-- the account (ON DELETE CASCADE). A password change leaves them be.
CREATE TABLE personal_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   BYTEA  NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    description  TEXT   NOT NULL,
    scopes       TEXT   NOT NULL, -- canonical space-separated scope set
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX personal_tokens_token_hash_key ON personal_tokens (token_hash);
-- The settings page lists a user's tokens, and deleting a user cascades here.
CREATE INDEX personal_tokens_user_idx ON personal_tokens (user_id, id);

-- Deleting an account (/settings/account) cascades to every row of the
-- user's; these two tables had no index that leads with user_id, so the
-- cascade would scan them whole while holding the write lock.
CREATE INDEX consent_requests_user_idx ON consent_requests (user_id);
CREATE INDEX authorization_codes_user_idx ON authorization_codes (user_id);
