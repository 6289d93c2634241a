-- Step 2 of a sync: every visible ASIN not yet tracked starts as "new" (no product, no sales
-- data). Returns the number added. Target: staging. (This replaces the stored
-- jssync_add_new_visible_v1, which read only {prefix}product; it stays for older code.)
{% import 'macros.sql' as m with context %}
WITH added AS (
    INSERT INTO {{ table('jungle_scout_sync_status') }}
        (asin, has_product_data, has_sales_data, created_at, updated_at)
    SELECT u.asin, false, false, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
    FROM (
        {{ m.untracked_asins() | indent(4) }}
    ) AS u
    ON CONFLICT (asin) DO NOTHING
    RETURNING 1
)

SELECT count(*)::integer AS added FROM added
