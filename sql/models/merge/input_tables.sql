-- Model: the run's input tables, one per data table, dropped when the transaction ends.
-- Shaped LIKE the target tables, so what COPY loads is already typed as the target wants it.
-- Reads: nothing. Target: staging and production (staging also gets the per-ASIN outcomes).
CREATE TEMP TABLE IF NOT EXISTS in_product_data
    (LIKE {{ table('jungle_scout_product_data') }} INCLUDING DEFAULTS) ON COMMIT DROP;

CREATE TEMP TABLE IF NOT EXISTS in_sales_estimate_data
    (LIKE {{ table('jungle_scout_sales_estimate_data') }} INCLUDING DEFAULTS) ON COMMIT DROP;
{% if target == 'staging' %}

CREATE TEMP TABLE IF NOT EXISTS in_asin_outcomes (
    asin VARCHAR(20) NOT NULL,
    marketplace VARCHAR(10) NOT NULL,
    kind TEXT NOT NULL,
    product_status TEXT NOT NULL,
    sales_status TEXT NOT NULL,
    sales_start DATE,
    sales_end DATE,
    sales_points INTEGER NOT NULL,
    error_category TEXT,
    error TEXT
) ON COMMIT DROP;
{% endif %}
