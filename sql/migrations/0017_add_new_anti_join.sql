-- Issue 11: add-new at 300,000 tracked ASINs. The version of 0003 inserted every visible ASIN and
-- let ON CONFLICT drop the tracked ones: one speculative insertion per visible ASIN, every run
-- (seconds at 300,000). The same function, same result, now skips tracked ASINs with an anti-join
-- first; ON CONFLICT still guards the key. Staging only.
{% if target == 'staging' %}
CREATE OR REPLACE FUNCTION {{ table('jssync_add_new_visible_v1') }}(
    p_now timestamp DEFAULT (now() AT TIME ZONE 'UTC'))
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO {{ table('jungle_scout_sync_status') }}
        (asin, has_product_data, has_sales_data, created_at, updated_at)
    SELECT DISTINCT p.asin, false, false, p_now, p_now
    FROM {{ table('product') }} p
    WHERE p.product_visibility = true
      AND p.asin IS NOT NULL
      AND btrim(p.asin) <> ''
      AND NOT EXISTS (
          SELECT 1 FROM {{ table('jungle_scout_sync_status') }} s WHERE s.asin = p.asin)
    ON CONFLICT (asin) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END;
$$;
{% endif %}
