-- Model: the product rows production is owed, read from staging (never from the landing file,
-- which a Cloud Run Job loses when it ends).
-- Grain: one row per (asin, report_date) named by the pending outbox entries.
-- Reads: {{ table('jssync_production_outbox') }}, {{ table('jungle_scout_product_data') }}.
-- Columns: those of models/merge/product_data.sql, in its COPY order, then created_at.
-- Target: staging. Parameters: outbox_ids.
{% from 'models/merge/product_data.sql' import columns with context %}
{% import 'macros.sql' as m with context %}
WITH owed AS (
    {{ m.owed_keys('product_keys') }}
),

wanted AS (
    SELECT DISTINCT key ->> 'asin' AS asin, (key ->> 'report_date')::date AS report_date
    FROM owed
)

SELECT {{ columns | join(', ') }}, created_at
FROM {{ table('jungle_scout_product_data') }}
JOIN wanted USING (asin, report_date)
