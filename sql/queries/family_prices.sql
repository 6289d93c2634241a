-- Variation families: what a shared member's rows may say as last_known_price: its own product
-- price on the days its product data was fetched (report_date), from `first` to `last`.
-- Target: staging. Parameters: asins (a text array), first, last.
SELECT p.asin, p.report_date, p.price
FROM {{ table('jungle_scout_product_data') }} AS p
WHERE p.asin = ANY(%(asins)s::text[])
  AND p.report_date BETWEEN %(first)s AND %(last)s
  AND p.price IS NOT NULL
