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
-- Times have second precision; syncs run one at a time, so between runs that started in the
-- same second the one whose row was written by the later transaction is the newer.
ORDER BY started_at DESC, xmin::text::bigint DESC
LIMIT %(last)s
