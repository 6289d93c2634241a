-- The checksum a migration file had when it was applied, or no row if it has not been.
-- Target: staging and production (`jssync migrate`). Parameters: filename.
SELECT checksum
FROM "dev_az_jssync_schema_migrations"
WHERE filename = %(filename)s
