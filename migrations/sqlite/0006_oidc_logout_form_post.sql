-- OpenID Connect, second part (SPEC §5).

-- RP-initiated sign-out: the URLs an application may send the browser to
-- after `/oauth/logout`, compared exactly; newline-separated like
-- redirect_uris, empty for none.
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';

-- A parked request remembers how its answer is delivered: NULL for the
-- query string, 'form_post' for an auto-submitting form (OAuth 2.0 Form
-- Post Response Mode).
ALTER TABLE consent_requests ADD COLUMN response_mode TEXT
    CHECK (response_mode IS NULL OR response_mode = 'form_post');
