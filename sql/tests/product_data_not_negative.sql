-- Test: prices, counts, units and revenue of a product are never negative.
-- severity: error
-- targets: staging, production
SELECT asin, report_date, price, reviews, approximate_30_day_units_sold,
       approximate_30_day_revenue, number_of_sellers
FROM {{ table('jungle_scout_product_data') }}
WHERE price < 0
   OR reviews < 0
   OR approximate_30_day_units_sold < 0
   OR approximate_30_day_revenue < 0
   OR number_of_sellers < 0
