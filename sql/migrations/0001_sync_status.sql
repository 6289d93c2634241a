-- Per-ASIN sync state, exactly as the Go service's table. Staging only: production has no
-- sync_status. Timestamps are UTC wall-clock values (sessions run with TimeZone=UTC).
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jungle_scout_sync_status') }} (
    asin VARCHAR(20) PRIMARY KEY,
    has_product_data BOOLEAN DEFAULT false,
    has_sales_data BOOLEAN DEFAULT false,
    error TEXT,
    product_data_synced_at TIMESTAMP,
    sales_estimate_data_synced_at TIMESTAMP,
    product_fetch_attempted_at TIMESTAMP,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- The Go service's partial index, named with the prefix so two prefixes can share a database.
CREATE INDEX IF NOT EXISTS {{ table('idx_js_sync_product_fetch_attempted') }}
    ON {{ table('jungle_scout_sync_status') }} (product_fetch_attempted_at)
    WHERE has_product_data = false;
{% endif %}
