-- Model: "dev_az_jungle_scout_sales_estimate_data"
-- Grain: one row per ASIN, marketplace and day. Upsert key: (asin, marketplace, date).
-- Reads: in_sales_estimate_data, the run's rows (from the landing file on staging, copied from
-- staging on production). Target: staging, then production, which mirrors staging exactly.
WITH input AS (
    SELECT * FROM in_sales_estimate_data
),

latest AS (
    SELECT DISTINCT ON (asin, marketplace, date) *
    FROM input
    ORDER BY asin, marketplace, date
)

INSERT INTO "dev_az_jungle_scout_sales_estimate_data" AS target (
    asin, marketplace, date, is_parent, is_variant, is_standalone, parent_asin, estimated_units_sold, last_known_price, updated_at, created_at
)
SELECT asin, marketplace, date, is_parent, is_variant, is_standalone, parent_asin, estimated_units_sold, last_known_price,
    (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
FROM latest
ON CONFLICT (asin, marketplace, date) DO UPDATE SET
    is_parent = EXCLUDED.is_parent,
    is_variant = EXCLUDED.is_variant,
    is_standalone = EXCLUDED.is_standalone,
    parent_asin = EXCLUDED.parent_asin,
    estimated_units_sold = EXCLUDED.estimated_units_sold,
    last_known_price = EXCLUDED.last_known_price,
    updated_at = EXCLUDED.updated_at
