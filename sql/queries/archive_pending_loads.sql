-- The loads still waiting for the archive, oldest first (load ids are dlt's UNIX timestamps).
-- Target: staging.
SELECT load_id, min(created_at) AS created_at, count(*) AS tables, sum(row_count) AS row_count
FROM {{ table('jssync_archive_pending') }}
GROUP BY load_id
ORDER BY min(created_at), load_id
