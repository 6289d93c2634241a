-- Issue 17 (defect a): a retry due a few seconds after a run starts waits a whole run period.
-- The backoff is measured from the failing run's start to the second, and the not-found retry
-- from its merge, so the next scheduled run, starting a few seconds earlier within its hour
-- (Cloud Scheduler and cold starts jitter), found the 1 h backoff not yet over and left a sales
-- gap for another hour. _v4 is _v3 with one more parameter, p_retry_slack_seconds: the two retry
-- timers are read that much later than p_now (a retry due within the slack is due now), while
-- staleness and every order stay exactly as in _v3 (slack 0 returns what _v3 returns). The
-- service passes a tenth of its run period (SYNC_RUNS_PER_DAY). _v3 stays in place. Staging only.
{% if target == 'staging' %}
CREATE OR REPLACE FUNCTION {{ table('jssync_select_asins_v4') }}(
    p_limit integer DEFAULT 100,
    p_stale_days integer DEFAULT 30,
    p_retry_days integer DEFAULT 15,
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'),
    p_backoff_base_seconds integer DEFAULT 3600,
    p_backoff_max_seconds integer DEFAULT 86400,
    p_retry_slack_seconds integer DEFAULT 0)
RETURNS TABLE (asin varchar, kind text, sales_synced_at timestamp)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    -- The retry timers (not-found retry, backoff) are read at p_now + slack; staleness at p_now.
    v_retry_now timestamp := p_now + make_interval(secs => greatest(p_retry_slack_seconds, 0));
    v_retry_before timestamp := v_retry_now - make_interval(days => p_retry_days);
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
      AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, v_retry_now,
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
          AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, v_retry_now,
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
          AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, v_retry_now,
                                                   p_backoff_base_seconds, p_backoff_max_seconds)
        ORDER BY s.product_data_synced_at, s.asin
        LIMIT v_left;
    END IF;
END;
$$;
{% endif %}
