-- Issue 11: indexes that keep a 300,000-ASIN catalogue's selection under a second. Staging only
-- (sync_status lives there; Go had no index for these orders). The selection reads the new ASINs
-- in created_at order and the stale ones in product_data_synced_at order, each with a LIMIT:
-- with these partial indexes it reads the first rows in order instead of sorting the table.
{% if target == 'staging' %}
CREATE INDEX IF NOT EXISTS {{ table('idx_js_sync_new_order') }}
    ON {{ table('jungle_scout_sync_status') }} (created_at, asin)
    WHERE has_product_data = false;

CREATE INDEX IF NOT EXISTS {{ table('idx_js_sync_stale_order') }}
    ON {{ table('jungle_scout_sync_status') }} (product_data_synced_at, asin)
    WHERE has_product_data = true;
{% endif %}
