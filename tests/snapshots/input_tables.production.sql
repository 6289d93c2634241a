-- Model: the run's input tables, one per data table, dropped when the transaction ends.
-- Shaped LIKE the target tables, so what COPY loads is already typed as the target wants it.
-- Reads: nothing. Target: staging and production (staging also gets the per-ASIN outcomes and
-- the variation families' provenance ranges and audits).
CREATE TEMP TABLE IF NOT EXISTS in_product_data
    (LIKE "prod_az_jungle_scout_product_data" INCLUDING DEFAULTS) ON COMMIT DROP;

CREATE TEMP TABLE IF NOT EXISTS in_sales_estimate_data
    (LIKE "prod_az_jungle_scout_sales_estimate_data" INCLUDING DEFAULTS) ON COMMIT DROP;
