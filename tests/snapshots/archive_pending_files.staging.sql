-- The Parquet files of one pending load, to rebuild them for the archive. Target: staging.
-- Parameters: load_id.
SELECT table_name, row_count, parquet
FROM "dev_az_jssync_archive_pending"
WHERE load_id = %(load_id)s
ORDER BY table_name
