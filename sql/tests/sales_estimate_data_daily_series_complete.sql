-- Test: each ASIN's daily sales series has no missing day between its first and last date.
-- A warning only: the API may lack a day.
-- severity: warn
-- targets: staging, production
SELECT asin, marketplace, min(date) AS first_date, max(date) AS last_date,
       (max(date) - min(date) + 1) - count(*) AS missing_days
FROM {{ table('jungle_scout_sales_estimate_data') }}
GROUP BY asin, marketplace
HAVING (max(date) - min(date) + 1) > count(*)
