-- Test: a product row names its ASIN and report date.
-- severity: error
-- targets: staging, production
SELECT asin, report_date, title
FROM {{ table('jungle_scout_product_data') }}
WHERE asin IS NULL
   OR asin = ''
   OR report_date IS NULL
