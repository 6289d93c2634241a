-- Model: {{ table('jssync_production_outbox') }}
-- Grain: one row per merge that staging committed. Key: id.
-- Reads: in_product_data, in_sales_estimate_data. Runs in the staging merge transaction, so a
-- merge is recorded as owed to production exactly when staging holds it.
-- Keys are JSON objects with named fields: product {asin, report_date}, sales {asin, marketplace,
-- first_date, last_date} (rows stored before 0014_outbox_named_keys held arrays; it rewrote them).
-- Target: staging only. Parameters: run_id, load_id.
WITH product_keys AS (
    SELECT DISTINCT asin, report_date
    FROM in_product_data
),

sales_keys AS (
    SELECT asin, marketplace, min(date) AS first_date, max(date) AS last_date
    FROM in_sales_estimate_data
    GROUP BY asin, marketplace
)

INSERT INTO {{ table('jssync_production_outbox') }} (run_id, load_id, product_keys, sales_keys)
SELECT
    %(run_id)s::uuid,
    %(load_id)s,
    COALESCE((SELECT jsonb_agg(jsonb_build_object('asin', asin, 'report_date', report_date))
              FROM product_keys), '[]'),
    COALESCE((SELECT jsonb_agg(jsonb_build_object(
                  'asin', asin, 'marketplace', marketplace,
                  'first_date', first_date, 'last_date', last_date))
              FROM sales_keys), '[]')
WHERE EXISTS (SELECT 1 FROM product_keys) OR EXISTS (SELECT 1 FROM sales_keys)
RETURNING id
