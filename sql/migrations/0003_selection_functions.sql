-- Steps 1 to 3 of a sync, as stored functions in staging (versioned _v1 so the database can be
-- migrated before the code that calls a new version ships). The Go service's constants are
-- parameters with its values as defaults. `p_now` exists so tests can travel in time.
{% if target == 'staging' %}
-- Step 1: forget ASINs the site hid (product_visibility = false and no visible row left).
-- ASINs missing from the product table are kept: an emptied product table must not wipe progress.
CREATE OR REPLACE FUNCTION {{ table('jssync_cleanup_invisible_v1') }}()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    removed integer;
BEGIN
    DELETE FROM {{ table('jungle_scout_sync_status') }} s
    WHERE EXISTS (
            SELECT 1 FROM {{ table('product') }} p
            WHERE p.asin = s.asin AND p.product_visibility = false)
      AND NOT EXISTS (
            SELECT 1 FROM {{ table('product') }} p
            WHERE p.asin = s.asin AND p.product_visibility = true);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;

-- Step 2: every visible ASIN not yet tracked starts as "new" (no product, no sales data).
CREATE OR REPLACE FUNCTION {{ table('jssync_add_new_visible_v1') }}(
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'))
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO {{ table('jungle_scout_sync_status') }}
        (asin, has_product_data, has_sales_data, created_at, updated_at)
    SELECT DISTINCT p.asin, false, false, p_now, p_now
    FROM {{ table('product') }} p
    WHERE p.product_visibility = true
      AND p.asin IS NOT NULL
      AND btrim(p.asin) <> ''
    ON CONFLICT (asin) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END;
$$;

-- Step 3: up to p_limit ASINs. New ones first (oldest created_at first), then stale ones
-- (oldest product_data_synced_at first). An ASIN not found within p_retry_days is skipped,
-- whether new or stale.
CREATE OR REPLACE FUNCTION {{ table('jssync_select_asins_v1') }}(
    p_limit integer DEFAULT 100,
    p_stale_days integer DEFAULT 30,
    p_retry_days integer DEFAULT 15,
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'))
RETURNS TABLE (asin varchar, kind text, sales_synced_at timestamp)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH new_asins AS (
        SELECT s.asin, 'new'::text AS kind, s.sales_estimate_data_synced_at, 1 AS priority,
               s.created_at AS sort_key
        FROM {{ table('jungle_scout_sync_status') }} s
        WHERE s.has_product_data = false
          AND (s.product_fetch_attempted_at IS NULL
               OR s.product_fetch_attempted_at < p_now - make_interval(days => p_retry_days))
        ORDER BY s.created_at, s.asin
        LIMIT p_limit
    ),
    stale_asins AS (
        SELECT s.asin, 'stale'::text AS kind, s.sales_estimate_data_synced_at, 2 AS priority,
               s.product_data_synced_at AS sort_key
        FROM {{ table('jungle_scout_sync_status') }} s
        WHERE s.has_product_data = true
          AND s.product_data_synced_at < p_now - make_interval(days => p_stale_days)
          AND (s.product_fetch_attempted_at IS NULL
               OR s.product_fetch_attempted_at < p_now - make_interval(days => p_retry_days))
        ORDER BY s.product_data_synced_at, s.asin
        LIMIT greatest(p_limit - (SELECT count(*) FROM new_asins), 0)
    )
    SELECT c.asin, c.kind, c.sales_estimate_data_synced_at
    FROM (SELECT * FROM new_asins UNION ALL SELECT * FROM stale_asins) c
    ORDER BY c.priority, c.sort_key, c.asin;
END;
$$;
{% endif %}
