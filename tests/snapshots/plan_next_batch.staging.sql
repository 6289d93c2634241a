-- How many ASINs the next run takes: the selection (the one place it is called) counted.
-- Target: staging. Parameters: those of select_asins.
SELECT count(*) AS asins
FROM (
-- Step 3 of a sync: up to `limit` ASINs, new first, then sales gaps, then stale; ASINs still
-- backing off after failures are left out. Target: staging.
-- The one place the selection function is called (the hourly sync, `jssync plan` and its
-- simulation). _v5 (0030) with family_sharing false returns what _v4 does: _v3's (each tier read
-- from its index, 0018), except that a retry (backoff, not-found) due within `retry_slack` seconds
-- after `now` is due now (0019). With family_sharing true each selected ASIN also brings the other
-- members of its shared-rank group (kind 'family', sales_group naming the group), the limit
-- counted in ASINs.
-- Parameters: limit, stale_days, retry_days, now (NULL: the database's now; a later time
-- selects what will be due by then, an earlier or later one travels in time), retry_slack,
-- family_sharing, marketplace.
SELECT asin, kind, sales_synced_at, sales_group
FROM "dev_az_jssync_select_asins_v5"(%(limit)s, %(stale_days)s, %(retry_days)s,
    COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')), %(family_sharing)s, %(marketplace)s,
    p_retry_slack_seconds => %(retry_slack)s)
) AS batch
