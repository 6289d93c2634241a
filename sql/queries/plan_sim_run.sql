-- One simulated run of `jssync plan --simulate-days`: the selection at `now` (or what is due by
-- `select_now`), every call assumed to succeed, written to the temporary copy only. Returns what
-- the run's requests are counted from: the ASINs taken, those needing product data (all but
-- sales gaps), the sales calls with family sharing (one per shared-rank group, one per other
-- ASIN) and the shared members (the audit's base).
-- Target: staging (pg_temp). Parameters: those of select_asins, plus run_at.
WITH batch AS MATERIALIZED (
{% include 'queries/select_asins.sql' %}
),

updated AS (
    UPDATE pg_temp.{{ table('jungle_scout_sync_status') }} AS s SET
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
