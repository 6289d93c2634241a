-- View: landing.latest_products (DuckDB, in the landing file)
-- Grain: one row per ASIN and marketplace: the newest product record landed, by report date,
-- then by load. Every column of landing.products, `raw` being the API's answer as JSON text.
-- Reads: landing.products. Recreated after every load.
CREATE OR REPLACE VIEW landing.latest_products AS
SELECT *
FROM landing.products
QUALIFY row_number() OVER (
    PARTITION BY asin, marketplace
    ORDER BY report_date DESC, CAST(_dlt_load_id AS DOUBLE) DESC
) = 1;
