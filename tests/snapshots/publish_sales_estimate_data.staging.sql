-- Model: the sales rows production is owed, read from staging.
-- Grain: one row per (asin, marketplace, date) inside the ranges named by the pending outbox
-- entries. Reads: "dev_az_jssync_production_outbox",
-- "dev_az_jungle_scout_sales_estimate_data". Target: staging. Parameters: outbox_ids.
-- Columns: those of models/merge/sales_estimate_data.sql, in its COPY order, then updated_at,
-- created_at.
WITH owed AS (
    SELECT key
    FROM "dev_az_jssync_production_outbox" AS outbox,
         jsonb_array_elements(outbox.sales_keys) AS key
    WHERE outbox.id = ANY(%(outbox_ids)s)
),

ranges AS (
    SELECT key ->> 'asin' AS asin, key ->> 'marketplace' AS marketplace,
           (key ->> 'first_date')::date AS first_date, (key ->> 'last_date')::date AS last_date
    FROM owed
)

-- Overlapping ranges may name a row twice; the upsert model keeps one.
SELECT sales.asin, sales.marketplace, sales.date, sales.is_parent, sales.is_variant, sales.is_standalone, sales.parent_asin, sales.estimated_units_sold, sales.last_known_price, sales.updated_at, sales.created_at
FROM "dev_az_jungle_scout_sales_estimate_data" AS sales
JOIN ranges
  ON sales.asin = ranges.asin
 AND sales.marketplace = ranges.marketplace
 AND sales.date BETWEEN ranges.first_date AND ranges.last_date
