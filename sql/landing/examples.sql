-- Newest product record per ASIN: the 20 best-ranked products.
SELECT asin, marketplace, report_date, title, brand, price, product_rank
FROM landing.latest_products
ORDER BY product_rank NULLS LAST
LIMIT 20;

-- Units sold per ASIN over the last 30 days landed.
SELECT asin, marketplace, sum(estimated_units_sold) AS units, count(*) AS days
FROM landing.daily_sales
WHERE date > current_date - 30
GROUP BY asin, marketplace
ORDER BY units DESC NULLS LAST;

-- Daily sales of one ASIN.
SELECT date, estimated_units_sold, last_known_price
FROM landing.daily_sales
WHERE asin = 'B0EXAMPLE1'
ORDER BY date;

-- Sync runs and their loads, newest first (run_id matches staging's jssync_runs).
SELECT run_id, kind, marketplace, batch, asins, load_id, loaded_at
FROM landing.runs
ORDER BY loaded_at DESC
LIMIT 20;

-- What happened to each ASIN in the newest load (found, not found, failed, with the error).
SELECT asin, kind, product_status, sales_status, sales_points, error
FROM landing.asin_outcomes
WHERE _dlt_load_id = (SELECT max(load_id) FROM landing.runs)
ORDER BY asin;
