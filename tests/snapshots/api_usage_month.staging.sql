-- The usage ledger's totals for the current calendar month (UTC), every endpoint and
-- marketplace: what a monthly request budget counts. Target: staging. Parameters: none.
SELECT
    to_char(date_trunc('month', now() AT TIME ZONE 'UTC'), 'YYYY-MM') AS month,
    COALESCE(sum(requests), 0)::bigint AS requests,
    COALESCE(sum(retries), 0)::bigint AS retries,
    COALESCE(sum(rate_limited), 0)::bigint AS rate_limited,
    COALESCE(sum(errors), 0)::bigint AS errors
FROM "dev_az_jssync_api_usage"
WHERE day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date
