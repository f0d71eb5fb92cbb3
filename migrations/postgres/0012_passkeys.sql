-- Passkeys (SPEC §7 "Passkeys", WebAuthn through webauthn-rs).

-- A user's registered passkeys. `credential_id` is the authenticator's id of
-- the credential (unique: one credential never belongs to two accounts, nor
-- twice to one). `user_handle` is the WebAuthn user handle (a random UUID per
-- account, reused by its later passkeys) that a discoverable credential
-- returns at sign-in. `passkey` is webauthn-rs's serialised `Passkey` (the
-- public key and the signature counter): public data, no secret.
CREATE TABLE passkeys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BYTEA   NOT NULL,
    user_handle   BYTEA   NOT NULL,
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE UNIQUE INDEX passkeys_credential_id_key ON passkeys (credential_id);
CREATE INDEX passkeys_user_idx ON passkeys (user_id, id);

-- A registration or sign-in ceremony awaiting the browser's answer: the
-- webauthn-rs state (holding the challenge) under the hash of a random id
-- the browser keeps in a cookie. Taken (DELETE … RETURNING) by the answer:
-- single use; a few minutes; kept in the database so that any instance can
-- finish what another began. `user_id` is NULL for a sign-in.
CREATE TABLE passkey_ceremonies (
    id_hash    BYTEA   PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('register', 'sign_in')),
    user_id    BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX passkey_ceremonies_expires_idx ON passkey_ceremonies (expires_at);
CREATE INDEX passkey_ceremonies_user_idx ON passkey_ceremonies (user_id);
