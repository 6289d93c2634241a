-- How fresh the tracked ASINs are, in one pass over sync_status (after each sync's steps 1 and
-- 2 it holds exactly the visible ASINs): counts, the oldest and 95th-percentile ages in days,
-- and the age histograms of product and sales data (buckets 0-1 ... 60+ days, and never).
-- Buckets compare each timestamp with cut-offs computed once, so a row costs a few integer
-- comparisons (300,000 ASINs take well under a second). A time in the future counts as age 0.
-- Target: staging. Parameters: threshold_days, retry_days, now (NULL: the database's UTC now).
WITH clock AS (
    SELECT
        n.now,
        n.now - make_interval(days => %(threshold_days)s) AS fresh_after,
        n.now - make_interval(days => %(retry_days)s) AS retry_after,
        n.now - interval '1 day' AS d1, n.now - interval '2 days' AS d2,
        n.now - interval '7 days' AS d7, n.now - interval '14 days' AS d14,
        n.now - interval '30 days' AS d30, n.now - interval '60 days' AS d60
    FROM (SELECT COALESCE(%(now)s::timestamp, now() AT TIME ZONE 'UTC') AS now) n
),
tracked AS (
    -- NULL: never synced (the flag decides, as the selection's does).
    SELECT
        CASE WHEN s.has_product_data THEN s.product_data_synced_at END AS product_at,
        CASE WHEN s.has_sales_data THEN s.sales_estimate_data_synced_at END AS sales_at,
        s.product_fetch_attempted_at AS attempted_at
    FROM "dev_az_jungle_scout_sync_status" s
),
figures AS (
    SELECT
        count(*) AS visible_asins,
        count(*) FILTER (WHERE t.product_at >= c.fresh_after) AS fresh,
        count(*) FILTER (WHERE t.product_at < c.fresh_after) AS overdue,
        -- Not found lately: the selection skips it until the retry period has passed.
        count(*) FILTER (WHERE t.product_at IS NULL AND t.attempted_at >= c.retry_after) AS not_found_waiting,
        count(*) FILTER (WHERE t.product_at IS NULL AND (t.attempted_at IS NULL OR t.attempted_at < c.retry_after))
            AS never_synced,
        min(t.product_at) AS oldest_product_at,
        min(t.sales_at) AS oldest_sales_at,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY c.now - t.product_at) AS p95_product_age,
        ARRAY[
            count(*) FILTER (WHERE t.product_at >= c.d1),
            count(*) FILTER (WHERE t.product_at >= c.d2 AND t.product_at < c.d1),
            count(*) FILTER (WHERE t.product_at >= c.d7 AND t.product_at < c.d2),
            count(*) FILTER (WHERE t.product_at >= c.d14 AND t.product_at < c.d7),
            count(*) FILTER (WHERE t.product_at >= c.d30 AND t.product_at < c.d14),
            count(*) FILTER (WHERE t.product_at >= c.d60 AND t.product_at < c.d30),
            count(*) FILTER (WHERE t.product_at < c.d60),
            count(*) FILTER (WHERE t.product_at IS NULL)
        ] AS product_histogram,
        ARRAY[
            count(*) FILTER (WHERE t.sales_at >= c.d1),
            count(*) FILTER (WHERE t.sales_at >= c.d2 AND t.sales_at < c.d1),
            count(*) FILTER (WHERE t.sales_at >= c.d7 AND t.sales_at < c.d2),
            count(*) FILTER (WHERE t.sales_at >= c.d14 AND t.sales_at < c.d7),
            count(*) FILTER (WHERE t.sales_at >= c.d30 AND t.sales_at < c.d14),
            count(*) FILTER (WHERE t.sales_at >= c.d60 AND t.sales_at < c.d30),
            count(*) FILTER (WHERE t.sales_at < c.d60),
            count(*) FILTER (WHERE t.sales_at IS NULL)
        ] AS sales_histogram
    FROM tracked t
    CROSS JOIN clock c
)
SELECT
    f.visible_asins,
    f.fresh,
    f.overdue,
    f.never_synced,
    f.not_found_waiting,
    -- greatest() skips NULLs, so "no data" (NULL) is kept apart from age 0.
    CASE WHEN f.oldest_product_at IS NOT NULL
         THEN round((greatest(date_part('epoch', c.now - f.oldest_product_at), 0) / 86400)::numeric, 2)
    END AS oldest_product_age_days,
    CASE WHEN f.p95_product_age IS NOT NULL
         THEN round((greatest(date_part('epoch', f.p95_product_age), 0) / 86400)::numeric, 2)
    END AS p95_product_age_days,
    CASE WHEN f.oldest_sales_at IS NOT NULL
         THEN round((greatest(date_part('epoch', c.now - f.oldest_sales_at), 0) / 86400)::numeric, 2)
    END AS oldest_sales_age_days,
    f.product_histogram,
    f.sales_histogram
FROM figures f
CROSS JOIN clock c
