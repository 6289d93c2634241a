-- Step 3 of a sync: up to `limit` ASINs, new first, then sales gaps, then stale; ASINs still
-- backing off after failures are left out. Target: staging.
-- Parameters: limit, stale_days, retry_days.
SELECT asin, kind, sales_synced_at
FROM "dev_az_jssync_select_asins_v2"(%(limit)s, %(stale_days)s, %(retry_days)s)
