-- Accounts and account security (SPEC §7), first part.

-- The security log: each event is written in the same transaction as the
-- change it records (src/domain/security_event.rs). Kept for a configurable
-- time (--security-log-days, 90 by default), then purged.
CREATE TABLE security_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    ip         TEXT    NOT NULL DEFAULT '', -- empty: the command line
    detail     TEXT    NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX security_events_user_idx ON security_events (user_id, created_at, id);
CREATE INDEX security_events_created_idx ON security_events (created_at);

-- The sessions page shows each session's device, address and last activity
-- (updated at most once a minute).
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
