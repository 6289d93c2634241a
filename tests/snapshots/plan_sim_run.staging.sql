-- One simulated run of `jssync plan --simulate-days`: the selection at `now` (or what is due by
-- `select_now`), every call assumed to succeed, written to the temporary copy only. Returns what
-- the run's requests are counted from: the ASINs taken, those needing product data (all but
-- sales gaps), the sales calls with family sharing (one per shared-rank group, one per other
-- ASIN) and the shared members (the audit's base).
-- Target: staging (pg_temp). Parameters: those of select_asins, plus run_at.
WITH batch AS MATERIALIZED (
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
),

updated AS (
    UPDATE pg_temp."dev_az_jungle_scout_sync_status" AS s SET
        has_product_data = true,
        has_sales_data = true,
        error = NULL,
        product_data_synced_at = %(run_at)s::timestamp,
        sales_estimate_data_synced_at = %(run_at)s::timestamp,
        updated_at = %(run_at)s::timestamp
    -- The batch as one array (an InitPlan), so the copy is updated through its primary key
    -- instead of being scanned whole for every run.
    WHERE s.asin = ANY (ARRAY(SELECT b.asin FROM batch AS b))
    RETURNING s.asin
)

SELECT (SELECT count(*) FROM updated) AS asins,
       count(*) FILTER (WHERE b.kind <> 'sales_gap') AS product_asins,
       count(DISTINCT b.sales_group) + count(*) FILTER (WHERE b.sales_group IS NULL) AS sales_calls,
       count(b.sales_group) - count(DISTINCT b.sales_group) AS shared_members
FROM batch AS b
