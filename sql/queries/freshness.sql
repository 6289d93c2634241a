-- How fresh the catalogue is at `now`: one row of figures. Visible ASINs are the tracked ones
-- (sync_status) plus visible product rows not tracked yet. They split into fresh (product data
-- within stale_days), overdue (product data older), not_found_waiting (no product data, the API
-- did not find it within retry_days) and never_synced (no product data otherwise).
-- Ages are in days. Target: staging. Parameters: now (NULL: the database's now), stale_days,
-- retry_days.
WITH params AS (
    SELECT COALESCE(%(now)s::timestamp, (now() AT TIME ZONE 'UTC')) AS now_at
),
tracked AS (
    SELECT
        count(*) AS tracked,
        count(*) FILTER (WHERE s.has_product_data
            AND s.product_data_synced_at >= p.now_at - make_interval(days => %(stale_days)s)) AS fresh,
        count(*) FILTER (WHERE s.has_product_data
            AND (s.product_data_synced_at IS NULL
                 OR s.product_data_synced_at < p.now_at - make_interval(days => %(stale_days)s))) AS overdue,
        count(*) FILTER (WHERE NOT s.has_product_data
            AND s.product_fetch_attempted_at >= p.now_at - make_interval(days => %(retry_days)s))
            AS not_found_waiting,
        count(*) FILTER (WHERE NOT s.has_product_data
            AND (s.product_fetch_attempted_at IS NULL
                 OR s.product_fetch_attempted_at < p.now_at - make_interval(days => %(retry_days)s)))
            AS never_synced,
        max(extract(epoch FROM p.now_at - s.product_data_synced_at))
            FILTER (WHERE s.has_product_data) / 86400.0 AS oldest_product_age,
        percentile_cont(0.95) WITHIN GROUP (
            ORDER BY extract(epoch FROM p.now_at - s.product_data_synced_at))
            FILTER (WHERE s.has_product_data) / 86400.0 AS p95_product_age,
        max(extract(epoch FROM p.now_at - s.sales_estimate_data_synced_at))
            FILTER (WHERE s.has_sales_data) / 86400.0 AS oldest_sales_age,
        max(extract(epoch FROM p.now_at - COALESCE(s.product_data_synced_at, s.created_at)))
            / 86400.0 AS max_age
    FROM {{ table('jungle_scout_sync_status') }} AS s
    CROSS JOIN params AS p
    GROUP BY p.now_at
),
untracked AS (
    SELECT count(DISTINCT pr.asin) AS untracked
    FROM {{ table('product') }} AS pr
    WHERE pr.product_visibility = true
      AND pr.asin IS NOT NULL
      AND btrim(pr.asin) <> ''
      AND NOT EXISTS (
          SELECT 1 FROM {{ table('jungle_scout_sync_status') }} AS s WHERE s.asin = pr.asin)
)
SELECT
    COALESCE(t.tracked, 0) + u.untracked AS visible_asins,
    COALESCE(t.fresh, 0) AS fresh,
    COALESCE(t.overdue, 0) AS overdue,
    COALESCE(t.never_synced, 0) + u.untracked AS never_synced,
    COALESCE(t.not_found_waiting, 0) AS not_found_waiting,
    round(t.oldest_product_age::numeric, 2) AS oldest_product_age_days,
    round(t.p95_product_age::numeric, 2) AS p95_product_age_days,
    round(t.oldest_sales_age::numeric, 2) AS oldest_sales_age_days,
    round(t.max_age::numeric, 2) AS max_age_days,
    u.untracked
FROM untracked AS u
LEFT JOIN tracked AS t ON true
