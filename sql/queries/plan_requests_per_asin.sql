-- Measured API requests per ASIN of the hourly syncs of the last 30 days (retries included);
-- NULL when no hourly sync processed an ASIN yet. Target: staging. Parameters: none.
SELECT sum((status ->> 'total_api_calls')::numeric)
       / NULLIF(sum((status ->> 'total_asins_processed')::numeric), 0) AS requests_per_asin
FROM {{ table('jssync_runs') }}
WHERE kind = 'hourly'
  AND finished_at IS NOT NULL
  AND started_at > (now() AT TIME ZONE 'UTC') - interval '30 days'
  AND (status ->> 'total_asins_processed')::numeric > 0
