-- How many ASINs the next run takes: the selection (the one place it is called) counted.
-- Target: staging. Parameters: those of select_asins.
SELECT count(*) AS asins
FROM (
-- Step 3 of a sync: up to `limit` ASINs, new first, then sales gaps, then stale; ASINs still
-- backing off after failures are left out. Target: staging.
-- The one place the selection function is called (the hourly sync, `jssync plan` and its
-- simulation); _v4 returns what _v3 does (each tier read from its index, 0018), except that a
-- retry (backoff, not-found) due within `retry_slack` seconds after `now` is due now (0019).
-- Parameters: limit, stale_days, retry_days, now (NULL: the database's now; a later time
-- selects what will be due by then, an earlier or later one travels in time), retry_slack.
SELECT asin, kind, sales_synced_at
FROM "dev_az_jssync_select_asins_v4"(%(limit)s, %(stale_days)s, %(retry_days)s,
    COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')),
    p_retry_slack_seconds => %(retry_slack)s)
) AS batch
