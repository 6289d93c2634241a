-- Issue 9: a transient failure costs an ASIN one run, not 30 days.
-- (1) Per-ASIN failure backoff, stored on sync_status: failure_count (API failures in a row) and
--     last_failure_at (when the run that failed started). ADD COLUMN IF NOT EXISTS with constant
--     defaults, so a table the Go service created migrates in place, rows kept; the Go service
--     ignores both columns. A success sets failure_count back to 0 (sql/models/sync_status.sql).
-- (2) jssync_select_asins_v2: v1's new and stale tiers, plus the sales-gap tier between them
--     (product data synced, sales not, or older by date than the product's), and the backoff.
--     v1 stays in place for code that still calls it.
{% if target == 'staging' %}
ALTER TABLE {{ table('jungle_scout_sync_status') }}
    ADD COLUMN IF NOT EXISTS failure_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS last_failure_at TIMESTAMP;

-- Due again: no failure on record, or the backoff after the last failure has passed. The
-- backoff doubles from p_base_seconds with every failure in a row, capped at p_max_seconds.
CREATE OR REPLACE FUNCTION {{ table('jssync_backoff_due_v1') }}(
    p_failure_count integer,
    p_last_failure_at timestamp,
    p_now timestamp,
    p_base_seconds integer DEFAULT 3600,
    p_max_seconds integer DEFAULT 86400)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_failure_count <= 0
        OR p_last_failure_at IS NULL
        OR p_last_failure_at + make_interval(secs => least(
               p_max_seconds::double precision,
               p_base_seconds * power(2::double precision, least(p_failure_count - 1, 30))))
           <= p_now
$$;

-- Step 3: up to p_limit ASINs. New ones first (oldest created_at first), then sales gaps (sales
-- never synced, or synced on an earlier day than the product data: the last refresh lost its
-- sales part; those furthest behind first), then stale ones (oldest product_data_synced_at
-- first). An ASIN not found within p_retry_days is skipped, and so is one still backing off.
-- A gap ASIN whose product data is stale is left to the stale tier, which fetches both.
CREATE OR REPLACE FUNCTION {{ table('jssync_select_asins_v2') }}(
    p_limit integer DEFAULT 100,
    p_stale_days integer DEFAULT 30,
    p_retry_days integer DEFAULT 15,
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'),
    p_backoff_base_seconds integer DEFAULT 3600,
    p_backoff_max_seconds integer DEFAULT 86400)
RETURNS TABLE (asin varchar, kind text, sales_synced_at timestamp)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH candidates AS (
        SELECT s.*
        FROM {{ table('jungle_scout_sync_status') }} s
        WHERE (s.product_fetch_attempted_at IS NULL
               OR s.product_fetch_attempted_at < p_now - make_interval(days => p_retry_days))
          AND {{ table('jssync_backoff_due_v1') }}(s.failure_count, s.last_failure_at, p_now,
                                                   p_backoff_base_seconds, p_backoff_max_seconds)
    ),
    new_asins AS (
        SELECT c.asin, 'new'::text AS kind, c.sales_estimate_data_synced_at, 1 AS priority,
               c.created_at AS sort_key, NULL::timestamp AS sort_key2
        FROM candidates c
        WHERE c.has_product_data = false
        ORDER BY c.created_at, c.asin
        LIMIT p_limit
    ),
    gap_asins AS (
        SELECT c.asin, 'sales_gap'::text AS kind, c.sales_estimate_data_synced_at, 2 AS priority,
               COALESCE(c.sales_estimate_data_synced_at, '-infinity'::timestamp) AS sort_key,
               c.product_data_synced_at AS sort_key2
        FROM candidates c
        WHERE c.has_product_data = true
          AND c.product_data_synced_at >= p_now - make_interval(days => p_stale_days)
          AND (c.sales_estimate_data_synced_at IS NULL
               OR c.sales_estimate_data_synced_at::date < c.product_data_synced_at::date)
        ORDER BY 5, c.product_data_synced_at, c.asin
        LIMIT greatest(p_limit - (SELECT count(*) FROM new_asins), 0)
    ),
    stale_asins AS (
        SELECT c.asin, 'stale'::text AS kind, c.sales_estimate_data_synced_at, 3 AS priority,
               c.product_data_synced_at AS sort_key, NULL::timestamp AS sort_key2
        FROM candidates c
        WHERE c.has_product_data = true
          AND c.product_data_synced_at < p_now - make_interval(days => p_stale_days)
        ORDER BY c.product_data_synced_at, c.asin
        LIMIT greatest(p_limit - (SELECT count(*) FROM new_asins)
                       - (SELECT count(*) FROM gap_asins), 0)
    )
    SELECT u.asin, u.kind, u.sales_estimate_data_synced_at
    FROM (SELECT * FROM new_asins
          UNION ALL SELECT * FROM gap_asins
          UNION ALL SELECT * FROM stale_asins) u
    ORDER BY u.priority, u.sort_key, u.sort_key2, u.asin;
END;
$$;
{% endif %}
