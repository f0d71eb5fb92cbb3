-- Administration (SPEC §8): admins, and disabled accounts and applications.

-- An admin sees the /admin pages. Set by `user create --admin` or
-- `user promote`.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
-- A disabled account cannot sign in, and every lookup of its sessions and
-- tokens (issued and personal) refuses it, so they stop on every instance at
-- once; disabling also ends them for good (docs/decisions.md).
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
-- A disabled application is unknown to every protocol endpoint, and the
-- lookup of its tokens refuses them.
ALTER TABLE clients ADD COLUMN disabled_at INTEGER;
