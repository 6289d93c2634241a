-- Step 3 of a sync: up to `limit` ASINs, new first, then sales gaps, then stale; ASINs still
-- backing off after failures are left out. Target: staging.
-- The one place the selection function is called (the hourly sync, `jssync plan` and its
-- simulation); _v3 returns what _v2 does, reading each tier from its index (0018).
-- Parameters: limit, stale_days, retry_days, now (NULL: the database's now; a later time
-- selects what will be due by then, an earlier or later one travels in time).
SELECT asin, kind, sales_synced_at
FROM "dev_az_jssync_select_asins_v3"(%(limit)s, %(stale_days)s, %(retry_days)s,
    COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')))
