-- The migration ledger: which numbered migration ran on this target, and the checksum of the
-- file as it was then. Created before any numbered migration; not itself a numbered migration.
CREATE TABLE IF NOT EXISTS {{ table('jssync_schema_migrations') }} (
    filename TEXT PRIMARY KEY,
    checksum CHAR(64) NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
