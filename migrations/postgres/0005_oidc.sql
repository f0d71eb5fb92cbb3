-- PostgreSQL flavour of migrations/sqlite/0005_oidc.sql: the same tables,
-- columns and index names, with native types.
-- OpenID Connect (SPEC §5): the keys ID tokens are signed with, each
-- application's signing algorithm, and how and when the user signed in, as
-- far as an ID token must tell it (auth_time, amr, nonce).

-- Signing keys, shared by every instance. `kid` is the key's RFC 7638
-- thumbprint. The current key of an algorithm is its row with no retired_at
-- (at most one: signing_keys_current_key); a retired key's public half stays
-- published for a while (src/keys/mod.rs) so tokens it signed still verify,
-- and its private half is erased when it retires. `private_key` is the
-- PKCS#8 PEM, in the clear (protection 'none') or sealed with AES-256-GCM
-- under a key derived from the operator's key-encryption key
-- ('aes-256-gcm': a 12-byte nonce, then the ciphertext and tag).
CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    alg         TEXT    NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    public_jwk  TEXT    NOT NULL, -- the JWK `GET /oauth/jwks` publishes
    private_key BYTEA,
    protection  TEXT    NOT NULL CHECK (protection IN ('none', 'aes-256-gcm')),
    created_at  BIGINT  NOT NULL,
    retired_at  BIGINT
);
CREATE UNIQUE INDEX signing_keys_current_key ON signing_keys (alg) WHERE retired_at IS NULL;

-- The algorithm an application's ID tokens are signed with.
ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256'
    CHECK (id_token_alg IN ('RS256', 'ES256', 'EdDSA'));

-- When and how the user signed in to a session (OIDC `auth_time` and RFC
-- 8176 `amr`, space-separated); sessions opened before this migration were
-- opened with a password at their creation.
ALTER TABLE sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
UPDATE sessions SET auth_time = created_at;

-- A parked request and a code remember the request's `nonce` and the
-- session's sign-in, for the ID token the code buys.
ALTER TABLE consent_requests ADD COLUMN nonce TEXT;
ALTER TABLE consent_requests ADD COLUMN auth_time BIGINT;
ALTER TABLE consent_requests ADD COLUMN amr TEXT;
ALTER TABLE authorization_codes ADD COLUMN nonce TEXT;
ALTER TABLE authorization_codes ADD COLUMN auth_time BIGINT;
ALTER TABLE authorization_codes ADD COLUMN amr TEXT;

-- Tokens remember the sign-in their grant began with: an ID token issued at
-- a refresh names the original auth_time (OIDC Core §12.2).
ALTER TABLE tokens ADD COLUMN auth_time BIGINT;
ALTER TABLE tokens ADD COLUMN amr TEXT;
