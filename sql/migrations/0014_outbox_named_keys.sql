-- The production outbox names its keys: each product key becomes {asin, report_date} and each
-- sales key {asin, marketplace, first_date, last_date} instead of a positional array, so the
-- publish queries read `key ->> 'asin'`, not `key ->> 0`. Rewrites every stored row (pending ones
-- included, so merges owed before this release still publish); a row already in the new shape is
-- left as it is. Staging only.
{% if target == 'staging' %}
UPDATE {{ table('jssync_production_outbox') }} AS o
SET product_keys = (
        SELECT COALESCE(jsonb_agg(
                   CASE WHEN jsonb_typeof(k) = 'array'
                        THEN jsonb_build_object('asin', k ->> 0, 'report_date', k ->> 1)
                        ELSE k END
                   ORDER BY n), '[]')
        FROM jsonb_array_elements(o.product_keys) WITH ORDINALITY AS e (k, n)),
    sales_keys = (
        SELECT COALESCE(jsonb_agg(
                   CASE WHEN jsonb_typeof(k) = 'array'
                        THEN jsonb_build_object('asin', k ->> 0, 'marketplace', k ->> 1,
                                                'first_date', k ->> 2, 'last_date', k ->> 3)
                        ELSE k END
                   ORDER BY n), '[]')
        FROM jsonb_array_elements(o.sales_keys) WITH ORDINALITY AS e (k, n))
WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(o.product_keys) AS k WHERE jsonb_typeof(k) = 'array')
   OR EXISTS (SELECT 1 FROM jsonb_array_elements(o.sales_keys) AS k WHERE jsonb_typeof(k) = 'array');
{% endif %}
