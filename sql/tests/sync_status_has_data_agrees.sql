-- Test: in staging, sync_status's has_product_data / has_sales_data say whether the ASIN has
-- product / sales rows.
-- severity: error
-- targets: staging
WITH flags AS (
    SELECT status.asin, status.has_product_data, status.has_sales_data,
           EXISTS (SELECT 1 FROM {{ table('jungle_scout_product_data') }} AS p
                   WHERE p.asin = status.asin) AS product_rows,
           EXISTS (SELECT 1 FROM {{ table('jungle_scout_sales_estimate_data') }} AS s
                   WHERE s.asin = status.asin) AS sales_rows
    FROM {{ table('jungle_scout_sync_status') }} AS status
)

SELECT asin, has_product_data, product_rows, has_sales_data, sales_rows
FROM flags
WHERE has_product_data IS DISTINCT FROM product_rows
   OR has_sales_data IS DISTINCT FROM sales_rows
