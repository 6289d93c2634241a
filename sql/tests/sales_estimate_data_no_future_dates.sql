-- Test: no sales day is today or later (UTC): the sales ranges the service asks for end
-- yesterday, because today's estimate is not final.
-- severity: error
-- targets: staging, production
SELECT asin, marketplace, date
FROM {{ table('jungle_scout_sales_estimate_data') }}
WHERE date >= (now() AT TIME ZONE 'UTC')::date
