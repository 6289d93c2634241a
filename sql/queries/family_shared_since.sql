-- Variation families: the first day of each given ASIN's copied sales rows in this marketplace
-- (an own call of the ASIN reaches back to it, so those rows become its own answer).
-- Target: staging. Parameters: marketplace, asins (a text array).
SELECT p.asin, min(p.first_date) AS first_date
FROM {{ table('jssync_sales_provenance') }} AS p
WHERE p.marketplace = %(marketplace)s
  AND p.asin = ANY(%(asins)s::text[])
GROUP BY p.asin
