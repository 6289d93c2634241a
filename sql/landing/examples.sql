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

-- Variation families: the ASINs whose days are copies of their group's one sales answer, of whom.
SELECT asin, source_asin, min(date) AS first_day, max(date) AS last_day, count(*) AS days
FROM landing.shared_sales
GROUP BY asin, source_asin
ORDER BY asin;

-- The family audits: shared members fetched on their own and compared day by day with their group.
SELECT asin, source_asin, parent_asin, product_rank, days_compared, days_differing, first_differing_date
FROM landing.family_audits
ORDER BY _dlt_load_id DESC, asin;
