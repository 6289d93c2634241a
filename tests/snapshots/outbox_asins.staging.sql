-- The ASINs named by some outbox entries (product and sales keys): what a publish just wrote to
-- production, for the per-run parity check. Target: staging. Parameters: outbox_ids.
WITH pending AS (
    SELECT product_keys, sales_keys
    FROM "dev_az_jssync_production_outbox"
    WHERE id = ANY(%(outbox_ids)s)
)

SELECT DISTINCT COALESCE(key ->> 'asin', key ->> 0) AS asin  -- named or positional keys
FROM pending, jsonb_array_elements(pending.product_keys || pending.sales_keys) AS key
ORDER BY 1
