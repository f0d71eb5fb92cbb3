-- The integer foreign keys to clients (id) were named client_id, the name
-- of the public clients.client_id TEXT they are not; client_pk says which
-- (src/domain/client.rs: ClientPk). The indexes, the primary key of grants
-- and the foreign keys follow the renamed columns; index and constraint
-- names stay as they were.
-- clients.client_id, the public id, keeps its name.
ALTER TABLE grants RENAME COLUMN client_id TO client_pk;
ALTER TABLE consent_requests RENAME COLUMN client_id TO client_pk;
ALTER TABLE authorization_codes RENAME COLUMN client_id TO client_pk;
ALTER TABLE tokens RENAME COLUMN client_id TO client_pk;
