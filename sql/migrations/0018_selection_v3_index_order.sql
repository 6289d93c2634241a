-- Issue 11: a selection that reads its indexes in order. _v2 materialises every candidate row
-- (a CTE read by three tiers), so each call scans and sorts all of sync_status: about 0.15 s at
-- 300,000 ASINs, every run, and every simulated hour of `jssync plan --simulate-days`.
-- _v3 returns exactly what _v2 returns, in the same order, but takes each tier with its own
-- query and LIMIT: new ASINs by idx_js_sync_new_order, stale ones by idx_js_sync_stale_order
-- (0016), and sales gaps by the partial index below, which holds only the gap ASINs. Each tier
-- reads the first rows of its index, skipping what waits on a not-found retry or a backoff.
-- Plans are made for each call's values (plan_cache_mode), so a LIMIT of 100 or of 15,000 gets
-- the plan that suits it. _v2 stays in place. Staging only.
{% if target == 'staging' %}
CREATE INDEX IF NOT EXISTS {{ table('idx_js_sync_sales_gap_order') }}
    ON {{ table('jungle_scout_sync_status') }}
       ((COALESCE(sales_estimate_data_synced_at, '-infinity'::timestamp)), product_data_synced_at, asin)
    WHERE has_product_data = true
      AND (sales_estimate_data_synced_at IS NULL
           OR sales_estimate_data_synced_at::date < product_data_synced_at::date);

CREATE OR REPLACE FUNCTION {{ table('jssync_select_asins_v3') }}(
    p_limit integer DEFAULT 100,
    p_stale_days integer DEFAULT 30,
    p_retry_days integer DEFAULT 15,
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'),
    p_backoff_base_seconds integer DEFAULT 3600,
    p_backoff_max_seconds integer DEFAULT 86400)
RETURNS TABLE (asin varchar, kind text, sales_synced_at timestamp)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_retry_before timestamp := p_now - make_interval(days => p_retry_days);
    v_fresh_after timestamp := p_now - make_interval(days => p_stale_days);
    v_left integer := p_limit;
    v_taken integer;
BEGIN
    -- New: never synced, oldest created_at first.
    RETURN QUERY
    SELECT s.asin, 'new'::text, s.sales_estimate_data_synced_at
    FROM {{ table('jungle_scout_sync_status') }} s
    WHERE s.has_product_data = false
      AND (s.product_fetch_attempted_at IS NULL OR s.product_fetch_attempted_at < v_retry_before)
      AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, p_now,
                                               p_backoff_base_seconds, p_backoff_max_seconds)
    ORDER BY s.created_at, s.asin
    LIMIT v_left;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    v_left := v_left - v_taken;

    -- Sales gaps of fresh product data: those furthest behind first.
    IF v_left > 0 THEN
        RETURN QUERY
        SELECT s.asin, 'sales_gap'::text, s.sales_estimate_data_synced_at
        FROM {{ table('jungle_scout_sync_status') }} s
        WHERE s.has_product_data = true
          AND (s.sales_estimate_data_synced_at IS NULL
               OR s.sales_estimate_data_synced_at::date < s.product_data_synced_at::date)
          AND s.product_data_synced_at >= v_fresh_after
          AND (s.product_fetch_attempted_at IS NULL OR s.product_fetch_attempted_at < v_retry_before)
          AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, p_now,
                                                   p_backoff_base_seconds, p_backoff_max_seconds)
        ORDER BY COALESCE(s.sales_estimate_data_synced_at, '-infinity'::timestamp),
                 s.product_data_synced_at, s.asin
        LIMIT v_left;
        GET DIAGNOSTICS v_taken = ROW_COUNT;
        v_left := v_left - v_taken;
    END IF;

    -- Stale: oldest product data first.
    IF v_left > 0 THEN
        RETURN QUERY
        SELECT s.asin, 'stale'::text, s.sales_estimate_data_synced_at
        FROM {{ table('jungle_scout_sync_status') }} s
        WHERE s.has_product_data = true
          AND s.product_data_synced_at < v_fresh_after
          AND (s.product_fetch_attempted_at IS NULL OR s.product_fetch_attempted_at < v_retry_before)
          AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, p_now,
                                                   p_backoff_base_seconds, p_backoff_max_seconds)
        ORDER BY s.product_data_synced_at, s.asin
        LIMIT v_left;
    END IF;
END;
$$;
{% endif %}
