-- Model: {{ table('jungle_scout_sync_status') }}
-- Grain: one row per ASIN. Upsert key: asin (existing rows are updated, new ones inserted).
-- Reads: in_asin_outcomes, what happened to each ASIN of the batch. Runs in the same staging
-- transaction as the data models, so sync_status never claims data staging does not hold.
-- Rules: has_* only ever turn true; the *_at times take the new value over the old (COALESCE);
-- the newest error wins (NULL clears it), except that a batch which skipped the product side (a
-- sales-only sync) and raised no error of its own keeps the stored error, such as "Product not
-- found", which it has said nothing about.
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
        (product_status = 'skipped' AND error IS NULL) AS keeps_error,
        CASE WHEN product_status = 'found'
             THEN (now() AT TIME ZONE 'UTC') END AS product_data_synced_at,
        CASE WHEN sales_status IN ('synced', 'no_data')
             THEN (now() AT TIME ZONE 'UTC') END AS sales_estimate_data_synced_at,
        -- Not found (or unusable): do not ask again before the retry period has passed.
        CASE WHEN product_status IN ('not_found', 'invalid')
             THEN (now() AT TIME ZONE 'UTC') END AS product_fetch_attempted_at
    FROM outcomes
),

updated AS (
    UPDATE {{ table('jungle_scout_sync_status') }} AS target SET
        has_product_data = target.has_product_data OR c.has_product_data,
        has_sales_data = target.has_sales_data OR c.has_sales_data,
        error = CASE WHEN c.keeps_error THEN target.error ELSE c.error END,
        product_data_synced_at =
            COALESCE(c.product_data_synced_at, target.product_data_synced_at),
        sales_estimate_data_synced_at =
            COALESCE(c.sales_estimate_data_synced_at, target.sales_estimate_data_synced_at),
        product_fetch_attempted_at =
            COALESCE(c.product_fetch_attempted_at, target.product_fetch_attempted_at),
        updated_at = (now() AT TIME ZONE 'UTC')
    FROM changes AS c
    WHERE target.asin = c.asin
    RETURNING target.asin
)

-- ASINs without a row yet. Syncs run one at a time (the sync lock), so no other writer inserts
-- the same ASIN between the UPDATE's snapshot and this INSERT; DO NOTHING only guards the key.
INSERT INTO {{ table('jungle_scout_sync_status') }} (
    asin, has_product_data, has_sales_data, error, product_data_synced_at,
    sales_estimate_data_synced_at, product_fetch_attempted_at, created_at, updated_at
)
SELECT
    c.asin, c.has_product_data, c.has_sales_data, c.error, c.product_data_synced_at,
    c.sales_estimate_data_synced_at, c.product_fetch_attempted_at,
    (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
FROM changes AS c
WHERE NOT EXISTS (SELECT 1 FROM updated AS u WHERE u.asin = c.asin)
ON CONFLICT (asin) DO NOTHING
