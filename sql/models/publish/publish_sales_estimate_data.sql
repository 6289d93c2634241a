-- Model: the sales rows production is owed, read from staging.
-- Grain: one row per (asin, marketplace, date) inside the ranges named by the pending outbox
-- entries. Reads: {{ table('jssync_production_outbox') }},
-- {{ table('jungle_scout_sales_estimate_data') }}. Target: staging. Parameters: outbox_ids.
-- Columns: those of models/merge/sales_estimate_data.sql, in its COPY order, then updated_at,
-- created_at.
{% from 'models/merge/sales_estimate_data.sql' import columns with context %}
{% import 'macros.sql' as m with context %}
WITH owed AS (
    {{ m.owed_keys('sales_keys') }}
),

ranges AS (
    SELECT key ->> 'asin' AS asin, key ->> 'marketplace' AS marketplace,
           (key ->> 'first_date')::date AS first_date, (key ->> 'last_date')::date AS last_date
    FROM owed
)

-- Overlapping ranges may name a row twice; the upsert model keeps one.
SELECT sales.{{ columns | join(', sales.') }}, sales.updated_at, sales.created_at
FROM {{ table('jungle_scout_sales_estimate_data') }} AS sales
JOIN ranges
  ON sales.asin = ranges.asin
 AND sales.marketplace = ranges.marketplace
 AND sales.date BETWEEN ranges.first_date AND ranges.last_date
