-- Attempts admitted and not yet settled (src/domain/throttle.rs): a key
-- admits at most its remaining failure budget at once, the rest wait, so
-- parallel right passwords are never refused for concurrency alone.
ALTER TABLE throttles ADD COLUMN in_flight BIGINT NOT NULL DEFAULT 0;
ALTER TABLE throttles ADD COLUMN in_flight_since BIGINT NOT NULL DEFAULT 0;
