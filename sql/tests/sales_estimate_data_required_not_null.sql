-- Test: a sales row names its ASIN, marketplace and day.
-- severity: error
-- targets: staging, production
SELECT asin, marketplace, date, estimated_units_sold
FROM {{ table('jungle_scout_sales_estimate_data') }}
WHERE asin IS NULL
   OR asin = ''
   OR marketplace IS NULL
   OR date IS NULL
