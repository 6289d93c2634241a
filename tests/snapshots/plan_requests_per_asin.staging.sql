-- Measured API requests per ASIN of the hourly syncs of the last 30 days (retries included)
-- that ran with the same family sharing (SALES_FAMILY_SHARING; a run's status.plan says which,
-- runs from before issue 18 ran without); NULL when no such hourly sync processed an ASIN yet.
-- Target: staging. Parameters: family_sharing.
SELECT sum((status ->> 'total_api_calls')::numeric)
       / NULLIF(sum((status ->> 'total_asins_processed')::numeric), 0) AS requests_per_asin
FROM "dev_az_jssync_runs"
WHERE kind = 'hourly'
  AND finished_at IS NOT NULL
  AND started_at > (now() AT TIME ZONE 'UTC') - interval '30 days'
  AND (status ->> 'total_asins_processed')::numeric > 0
  AND COALESCE((status -> 'plan' ->> 'family_sharing')::boolean, false) = %(family_sharing)s
