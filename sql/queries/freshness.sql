-- How fresh the tracked ASINs are, in one pass over sync_status (after each sync's steps 1 and
-- 2 it holds exactly the visible ASINs): counts, the oldest and 95th-percentile ages in days,
-- and the age histograms of product and sales data (buckets 0-1 ... 60+ days, and never).
-- Target: staging. Parameters: threshold_days, retry_days, now (NULL: the database's UTC now).
WITH clock AS (
    SELECT COALESCE(%(now)s::timestamp, now() AT TIME ZONE 'UTC') AS now
),
ages AS (
    SELECT
        -- Ages in days; a time in the future (clock skew) counts as 0. NULL: never synced.
        CASE WHEN s.has_product_data AND s.product_data_synced_at IS NOT NULL
             THEN greatest(EXTRACT(EPOCH FROM (c.now - s.product_data_synced_at)) / 86400.0, 0)
        END AS product_age,
        CASE WHEN s.has_sales_data AND s.sales_estimate_data_synced_at IS NOT NULL
             THEN greatest(EXTRACT(EPOCH FROM (c.now - s.sales_estimate_data_synced_at)) / 86400.0, 0)
        END AS sales_age,
        -- Not found lately: the selection skips it until the retry period has passed.
        s.product_fetch_attempted_at >= c.now - make_interval(days => %(retry_days)s) AS waiting
    FROM {{ table('jungle_scout_sync_status') }} s
    CROSS JOIN clock c
)
SELECT
    count(*) AS visible_asins,
    count(*) FILTER (WHERE product_age < %(threshold_days)s) AS fresh,
    count(*) FILTER (WHERE product_age >= %(threshold_days)s) AS overdue,
    count(*) FILTER (WHERE product_age IS NULL AND waiting IS NOT TRUE) AS never_synced,
    count(*) FILTER (WHERE product_age IS NULL AND waiting) AS not_found_waiting,
    round(max(product_age)::numeric, 2) AS oldest_product_age_days,
    round((percentile_cont(0.95) WITHIN GROUP (ORDER BY product_age))::numeric, 2) AS p95_product_age_days,
    round(max(sales_age)::numeric, 2) AS oldest_sales_age_days,
    -- Histograms: 0-1, 1-2, 2-7, 7-14, 14-30, 30-60, 60+, never.
    ARRAY[
        count(*) FILTER (WHERE product_age < 1),
        count(*) FILTER (WHERE product_age >= 1 AND product_age < 2),
        count(*) FILTER (WHERE product_age >= 2 AND product_age < 7),
        count(*) FILTER (WHERE product_age >= 7 AND product_age < 14),
        count(*) FILTER (WHERE product_age >= 14 AND product_age < 30),
        count(*) FILTER (WHERE product_age >= 30 AND product_age < 60),
        count(*) FILTER (WHERE product_age >= 60),
        count(*) FILTER (WHERE product_age IS NULL)
    ] AS product_histogram,
    ARRAY[
        count(*) FILTER (WHERE sales_age < 1),
        count(*) FILTER (WHERE sales_age >= 1 AND sales_age < 2),
        count(*) FILTER (WHERE sales_age >= 2 AND sales_age < 7),
        count(*) FILTER (WHERE sales_age >= 7 AND sales_age < 14),
        count(*) FILTER (WHERE sales_age >= 14 AND sales_age < 30),
        count(*) FILTER (WHERE sales_age >= 30 AND sales_age < 60),
        count(*) FILTER (WHERE sales_age >= 60),
        count(*) FILTER (WHERE sales_age IS NULL)
    ] AS sales_histogram
FROM ages
