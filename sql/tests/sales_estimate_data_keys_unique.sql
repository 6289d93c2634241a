-- Test: each (asin, marketplace, date) appears once in the sales table.
-- severity: error
-- targets: staging, production
SELECT asin, marketplace, date, count(*) AS copies
FROM {{ table('jungle_scout_sales_estimate_data') }}
GROUP BY asin, marketplace, date
HAVING count(*) > 1
