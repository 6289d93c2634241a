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
-- On a table the Go service created, its own index (idx_js_sync_product_fetch_attempted) is
-- already there: a second one with the same definition would only slow every write, so the
-- index is created only when no valid index of the table is a plain btree on
-- (product_fetch_attempted_at) WHERE has_product_data = false.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_index AS i
        JOIN pg_class AS c ON c.oid = i.indexrelid
        JOIN pg_am AS am ON am.oid = c.relam
        JOIN pg_attribute AS a
            ON a.attrelid = i.indrelid AND a.attname = 'product_fetch_attempted_at'
        WHERE i.indrelid = '{{ table('jungle_scout_sync_status') }}'::regclass
          AND i.indisvalid
          AND NOT i.indisunique
          AND am.amname = 'btree'
          AND i.indnatts = 1
          AND i.indkey[0] = a.attnum
          AND i.indoption[0] = 0
          AND i.indexprs IS NULL
          AND pg_get_expr(i.indpred, i.indrelid) = '(has_product_data = false)'
    ) THEN
        CREATE INDEX IF NOT EXISTS {{ table('idx_js_sync_product_fetch_attempted') }}
            ON {{ table('jungle_scout_sync_status') }} (product_fetch_attempted_at)
            WHERE has_product_data = false;
    END IF;
END
$$;
{% endif %}
