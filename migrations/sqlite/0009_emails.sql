-- Email addresses and mailed links (SPEC §7 "Emails", "Password reset").

-- Every address of an account, the primary one included. users.email stays
-- the primary address, the one the account signs in with; a change of
-- primary address updates both in one transaction. The unique index makes
-- an address belong to one account at most, verified or not, so that a
-- verification, a reset link or a sign-in can never be ambiguous.
CREATE TABLE emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL, -- lower-cased, as users.email
    verified_at INTEGER,          -- NULL: not verified
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX emails_email_key ON emails (email);
CREATE INDEX emails_user_idx ON emails (user_id);

-- Every account's address so far, not verified: nothing has verified one.
INSERT INTO emails (user_id, email, verified_at, created_at) SELECT id, email, NULL, created_at FROM users;

-- Links mailed to an address: to verify it, or to reset the password. Only
-- the SHA-256 of the token is stored; a link works once (used_at) and until
-- expires_at (a day to verify, an hour to reset). Used and expired links
-- are kept a day after expiry, then purged.
CREATE TABLE email_links (
    token_hash BLOB    PRIMARY KEY,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('verify', 'reset')),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL, -- the address it was sent to
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
-- Counting an account's live links of a purpose (at most a few at once).
CREATE INDEX email_links_user_idx ON email_links (user_id, purpose, expires_at);
CREATE INDEX email_links_expires_idx ON email_links (expires_at);
