-- The newest run of some kinds, running or finished. Target: staging. Parameters: kinds.
SELECT run_id, kind, outcome, status
FROM {{ table('jssync_runs') }}
WHERE kind = ANY(%(kinds)s)
ORDER BY started_at DESC
LIMIT 1
