-- The outcome of the newest finished run of one kind and marketplace that started before this
-- one, for DISCORD_NOTIFY_ON_CHANGE. Target: staging.
-- Parameters: kind, marketplace, run_id, started_at.
SELECT outcome
FROM "dev_az_jssync_runs"
WHERE kind = %(kind)s
  AND marketplace = %(marketplace)s
  AND run_id <> %(run_id)s::uuid
  AND finished_at IS NOT NULL
  AND started_at <= %(started_at)s
-- seq numbers runs as they were inserted (migration 0007): the newest first.
ORDER BY seq DESC
LIMIT 1
