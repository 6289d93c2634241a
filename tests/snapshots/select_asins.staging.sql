-- Step 3 of a sync: up to `limit` ASINs, new first, then stale. Target: staging.
-- Parameters: limit, stale_days, retry_days.
SELECT asin, kind, sales_synced_at
FROM "dev_az_jssync_select_asins_v1"(%(limit)s, %(stale_days)s, %(retry_days)s)
