-- PostgreSQL flavour of migrations/sqlite/0007_device.sql: the same table,
-- columns and index names, with native types.
-- The device authorization grant (RFC 8628, SPEC §6): a device (a CLI, a
-- TV) asks for a code pair, shows the user code, and polls with the device
-- code while the user approves or denies on another screen.
--
-- Both codes are stored only as SHA-256 hashes: the device code like every
-- token; the user code of its canonical form (eight upper-case letters), so
-- that any way of typing it finds the row. A user code is unique among the
-- rows kept (device_codes_user_code_key); a new code that collides is drawn
-- again.
--
-- The row moves through: pending (decision NULL) → approved or denied by
-- user_id, with the sign-in of that user's session (auth_time, amr) for the
-- ID token → spent (used_at) by the one poll that wins the tokens. Polls of a
-- pending code only read it, except to keep the pace (RFC 8628 §3.5):
-- polled_at is the last poll answered authorization_pending, interval_secs
-- grows by 5 at each slow_down, slowed_at is when it last grew (0: never).
CREATE TABLE device_codes (
    device_code_hash BYTEA   PRIMARY KEY,
    user_code_hash   BYTEA   NOT NULL,
    client_pk        BIGINT  NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes           TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    interval_secs    BIGINT  NOT NULL,
    polled_at        BIGINT  NOT NULL DEFAULT 0,
    slowed_at        BIGINT  NOT NULL DEFAULT 0,
    decision         TEXT    CHECK (decision IN ('approved', 'denied')),
    user_id          BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    decided_at       BIGINT,
    auth_time        BIGINT,
    amr              TEXT,
    used_at          BIGINT
);
CREATE UNIQUE INDEX device_codes_user_code_key ON device_codes (user_code_hash);
-- The purge walks expires_at; revoking a grant or an application's tokens
-- forgets its unspent device codes by client and user.
CREATE INDEX device_codes_expires_idx ON device_codes (expires_at);
CREATE INDEX device_codes_client_user_idx ON device_codes (client_pk, user_id);
