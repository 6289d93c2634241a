-- Test: daily units sold and prices are never negative.
-- severity: error
-- targets: staging, production
SELECT asin, marketplace, date, estimated_units_sold, last_known_price
FROM {{ table('jungle_scout_sales_estimate_data') }}
WHERE estimated_units_sold < 0
   OR last_known_price < 0
