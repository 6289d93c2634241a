-- View: landing.daily_sales (DuckDB, in the landing file)
-- Grain: one row per ASIN, marketplace and day: the newest estimate landed for that day (a
-- later sync may have fetched the same day again). Reads: landing.sales_estimates.
-- Recreated after every load.
CREATE OR REPLACE VIEW landing.daily_sales AS
SELECT
    asin,
    marketplace,
    date,
    estimated_units_sold,
    last_known_price,
    parent_asin,
    _dlt_load_id AS load_id
FROM landing.sales_estimates
QUALIFY row_number() OVER (
    PARTITION BY asin, marketplace, date
    ORDER BY CAST(_dlt_load_id AS DOUBLE) DESC
) = 1;
