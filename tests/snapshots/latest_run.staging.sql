-- The newest run of some kinds, running or finished. Target: staging. Parameters: kinds.
-- seq numbers runs as they were inserted (migration 0007): the newest first.
SELECT run_id, kind, outcome, status
FROM "dev_az_jssync_runs"
WHERE kind = ANY(%(kinds)s)
ORDER BY seq DESC
LIMIT 1
