-- One simulated run of `jssync plan --simulate-days`: the selection at `now` (or what is due by
-- `select_now`), every call assumed to succeed, written to the temporary copy only.
-- Target: staging (pg_temp). Parameters: those of select_asins, plus run_at.
UPDATE pg_temp.{{ table('jungle_scout_sync_status') }} AS s SET
    has_product_data = true,
    has_sales_data = true,
    error = NULL,
    product_data_synced_at = %(run_at)s::timestamp,
    sales_estimate_data_synced_at = %(run_at)s::timestamp,
    updated_at = %(run_at)s::timestamp
-- The batch as one array (an InitPlan), so the copy is updated through its primary key instead
-- of being scanned whole for every run.
WHERE s.asin = ANY (ARRAY(
    SELECT batch.asin FROM (
{% include 'queries/select_asins.sql' %}
    ) AS batch
))
