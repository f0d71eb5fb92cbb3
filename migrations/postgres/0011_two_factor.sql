-- Two-factor authentication with TOTP (SPEC §7 "Two-factor", RFC 6238).

-- One authenticator per user. The secret must be readable to check codes, so
-- it cannot be a hash: it is sealed with AES-256-GCM under the operator's
-- key-encryption key when one is configured (protection 'aes-256-gcm', the
-- user's id bound in as associated data), stored as is otherwise ('none').
-- A row with enabled_at NULL is a setup the user has not confirmed with a
-- code yet; it is replaced by the next setup and purged after a day.
-- last_used_step is the RFC 6238 time step of the last code accepted: a code
-- of that step or an earlier one is never accepted again (no replay), which
-- one UPDATE … WHERE last_used_step < $step decides.
CREATE TABLE two_factor (
    user_id        BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         BYTEA   NOT NULL,
    protection     TEXT    NOT NULL CHECK (protection IN ('none', 'aes-256-gcm')),
    created_at     BIGINT  NOT NULL,
    enabled_at     BIGINT,
    last_used_step BIGINT  NOT NULL DEFAULT -1
);
CREATE INDEX two_factor_pending_idx ON two_factor (created_at) WHERE enabled_at IS NULL;

-- Single-use recovery codes, stored only as SHA-256 (80 random bits each).
CREATE TABLE recovery_codes (
    user_id   BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA   NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in whose password was right and whose second factor is awaited:
-- no session exists until the code is. The browser holds the id (a cookie),
-- the row its hash, the user and where to go afterwards; a few minutes.
CREATE TABLE two_factor_challenges (
    id_hash    BYTEA   PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    return_to  TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX two_factor_challenges_expires_idx ON two_factor_challenges (expires_at);
