-- Model: "dev_az_jungle_scout_sync_status"
-- Grain: one row per ASIN. Upsert key: asin.
-- Reads: in_asin_outcomes, what happened to each ASIN of the batch. Runs in the same staging
-- transaction as the data models, so sync_status never claims data staging does not hold.
-- Target: staging only.
WITH outcomes AS (
    SELECT DISTINCT ON (asin) *
    FROM in_asin_outcomes
    ORDER BY asin
),

changes AS (
    SELECT
        asin,
        product_status = 'found' AS has_product_data,
        sales_status = 'synced' AS has_sales_data,
        error,
        CASE WHEN product_status = 'found'
             THEN (now() AT TIME ZONE 'UTC') END AS product_data_synced_at,
        CASE WHEN sales_status IN ('synced', 'no_data')
             THEN (now() AT TIME ZONE 'UTC') END AS sales_estimate_data_synced_at,
        -- Not found (or unusable): do not ask again before the retry period has passed.
        CASE WHEN product_status IN ('not_found', 'invalid')
             THEN (now() AT TIME ZONE 'UTC') END AS product_fetch_attempted_at
    FROM outcomes
)

INSERT INTO "dev_az_jungle_scout_sync_status" AS target (
    asin, has_product_data, has_sales_data, error, product_data_synced_at,
    sales_estimate_data_synced_at, product_fetch_attempted_at, created_at, updated_at
)
SELECT
    asin, has_product_data, has_sales_data, error, product_data_synced_at,
    sales_estimate_data_synced_at, product_fetch_attempted_at,
    (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
FROM changes
ON CONFLICT (asin) DO UPDATE SET
    has_product_data = target.has_product_data OR EXCLUDED.has_product_data,
    has_sales_data = target.has_sales_data OR EXCLUDED.has_sales_data,
    error = EXCLUDED.error,
    product_data_synced_at =
        COALESCE(EXCLUDED.product_data_synced_at, target.product_data_synced_at),
    sales_estimate_data_synced_at =
        COALESCE(EXCLUDED.sales_estimate_data_synced_at, target.sales_estimate_data_synced_at),
    product_fetch_attempted_at =
        COALESCE(EXCLUDED.product_fetch_attempted_at, target.product_fetch_attempted_at),
    updated_at = EXCLUDED.updated_at
