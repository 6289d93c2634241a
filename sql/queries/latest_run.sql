-- The newest run of some kinds, running or finished. Target: staging. Parameters: kinds.
-- started_at has whole seconds; of runs started in the same second, one after the other, the
-- later one is still running (finished_at NULL) or finished last.
SELECT run_id, kind, outcome, status
FROM {{ table('jssync_runs') }}
WHERE kind = ANY(%(kinds)s)
ORDER BY started_at DESC, finished_at DESC NULLS FIRST
LIMIT 1
