-- The same number as SQLite's 0002 (indexes for revoking grants and
-- applications). PostgreSQL's 0001 already creates them, so nothing changes.
SELECT 1;
