-- Test: each (asin, report_date) appears once in the product table.
-- severity: error
-- targets: staging, production
SELECT asin, report_date, count(*) AS copies
FROM {{ table('jungle_scout_product_data') }}
GROUP BY asin, report_date
HAVING count(*) > 1
