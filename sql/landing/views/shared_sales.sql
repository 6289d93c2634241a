-- View: landing.shared_sales (DuckDB, in the landing file)
-- Grain: one row per ASIN, marketplace and day whose newest landed estimate (landing.daily_sales)
-- is a copy of its shared-rank group's one answer (SALES_FAMILY_SHARING): the group's units, the
-- member's own identity and known price, and source_asin, the ASIN the group's call asked for.
-- Days not listed here are the ASIN's own answers. Reads: landing.daily_sales,
-- landing.sales_provenance. Recreated after every load.
CREATE OR REPLACE VIEW landing.shared_sales AS
SELECT
    d.asin,
    d.marketplace,
    d.date,
    d.estimated_units_sold,
    d.last_known_price,
    p.source_asin,
    d.load_id
FROM landing.daily_sales AS d
JOIN landing.sales_provenance AS p
  ON p.asin = d.asin
 AND p.marketplace = d.marketplace
 AND p._dlt_load_id = d.load_id
 AND d.date BETWEEN p.first_date AND p.last_date;
