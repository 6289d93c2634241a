-- The newest `last` sync runs: the headline numbers of their status objects (hourly and
-- master objects name the processed count differently), then the whole object.
-- Target: staging. Parameters: last.
SELECT
    run_id,
    kind,
    marketplace,
    started_at,
    finished_at,
    COALESCE(outcome, 'running') AS outcome,
    COALESCE(status ->> 'total_asins_processed', status ->> 'processed_asins')::integer AS processed,
    (status ->> 'failed_asins')::integer AS failed,
    (status ->> 'total_api_calls')::integer AS api_calls,
    status ->> 'stop_reason' AS stop_reason,
    status
FROM {{ table('jssync_runs') }}
-- seq numbers runs as they were inserted (migration 0007): the newest first.
ORDER BY seq DESC
LIMIT %(last)s
