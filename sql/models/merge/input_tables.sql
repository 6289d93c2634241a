-- Model: the run's input tables, one per data table, dropped when the transaction ends.
-- Shaped LIKE the target tables, so what COPY loads is already typed as the target wants it.
-- Reads: nothing. Target: staging and production (staging also gets the per-ASIN outcomes and
-- the variation families' provenance ranges and audits).
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
    error TEXT,
    sales_synced_at TIMESTAMP
) ON COMMIT DROP;

CREATE TEMP TABLE IF NOT EXISTS in_sales_provenance (
    asin VARCHAR(20) NOT NULL,
    marketplace VARCHAR(10) NOT NULL,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    source_asin VARCHAR(20) NOT NULL
) ON COMMIT DROP;

CREATE TEMP TABLE IF NOT EXISTS in_family_audits (
    marketplace VARCHAR(10) NOT NULL,
    asin VARCHAR(20) NOT NULL,
    source_asin VARCHAR(20) NOT NULL,
    parent_asin VARCHAR(20) NOT NULL,
    product_rank INTEGER NOT NULL,
    first_date DATE,
    last_date DATE,
    days_compared INTEGER NOT NULL,
    days_differing INTEGER NOT NULL,
    first_differing_date DATE
) ON COMMIT DROP;
{% endif %}
