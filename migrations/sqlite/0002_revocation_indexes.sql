-- Revoking a grant or an application, and the cascades of deleting one,
-- find rows by client and user through these; without them each of those
-- writes scans whole tables while holding SQLite's only write lock.
-- (PostgreSQL's 0001 has had them from the start; its 0002 is empty.)
CREATE INDEX grants_client_idx ON grants (client_id);
CREATE INDEX consent_requests_client_idx ON consent_requests (client_id);
CREATE INDEX authorization_codes_client_user_idx ON authorization_codes (client_id, user_id);
CREATE INDEX tokens_user_idx ON tokens (user_id);
