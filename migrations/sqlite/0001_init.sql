-- Gatehouse schema, SQLite flavour. Timestamps are Unix seconds (INTEGER);
-- every secret (client secret, code, token, session id, consent id) is stored
-- only as its SHA-256 hash (BLOB of 32 bytes) and looked up by it.

-- Accounts. Emails are stored lower-cased; logins are unique ignoring case,
-- as on the platform.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL, -- Argon2id PHC string
    bio           TEXT    NOT NULL DEFAULT '',
    blog          TEXT    NOT NULL DEFAULT '',
    weibo         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_login_key ON users (lower(login));

-- Registered applications. A public client has no secret_hash.
CREATE TABLE clients (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id     TEXT    NOT NULL,
    secret_hash   BLOB,
    secret_hint   TEXT,
    owner_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    homepage      TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    redirect_uris TEXT    NOT NULL, -- newline-separated; validated URLs hold no whitespace
    scopes        TEXT    NOT NULL, -- canonical space-separated scope set
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX clients_client_id_key ON clients (client_id);
CREATE INDEX clients_owner_idx ON clients (owner_id);

-- The scope set a user last approved for an application: an identical
-- request skips the consent page.
CREATE TABLE grants (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) WITHOUT ROWID;

-- A validated authorization request waiting on the consent page; the form
-- posts only its opaque id.
CREATE TABLE consent_requests (
    id_hash               BLOB    PRIMARY KEY,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id             INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    redirect_uri          TEXT    NOT NULL,
    redirect_uri_given    INTEGER NOT NULL,
    scopes                TEXT    NOT NULL,
    state                 TEXT,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    expires_at            INTEGER NOT NULL
) WITHOUT ROWID;

-- Authorization codes: single use (used_at), bound to client, callback, user,
-- scopes and PKCE challenge. family_id ties them to the tokens they issue, so
-- a replay can revoke those.
CREATE TABLE authorization_codes (
    code_hash             BLOB    PRIMARY KEY,
    client_id             INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri          TEXT    NOT NULL,
    redirect_uri_given    INTEGER NOT NULL,
    scopes                TEXT    NOT NULL,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    family_id             TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    used_at               INTEGER
) WITHOUT ROWID;

-- Access and refresh tokens. A refresh token is used once (used_at) and
-- replaced; every token descended from one grant shares family_id.
-- user_id is NULL for client_credentials tokens.
CREATE TABLE tokens (
    token_hash BLOB    PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    family_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX tokens_family_idx ON tokens (family_id);
CREATE INDEX tokens_client_user_idx ON tokens (client_id, user_id);

-- Browser sessions; the CSRF token of signed-in forms lives with the session.
CREATE TABLE sessions (
    id_hash    BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Consecutive sign-in / password-grant failures per key ("account:EMAIL" or
-- "address:IP"), shared by every instance. A success deletes the row.
CREATE TABLE throttles (
    key             TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL
) WITHOUT ROWID;

-- Purging expired rows walks these.
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);
CREATE INDEX consent_requests_expires_idx ON consent_requests (expires_at);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);
CREATE INDEX throttles_last_failure_idx ON throttles (last_failure_at);
CREATE INDEX grants_user_idx ON grants (user_id, updated_at);
