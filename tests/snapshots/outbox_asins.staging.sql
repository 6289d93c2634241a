-- The ASINs named by some outbox entries (product and sales keys): what a publish just wrote to
-- production, for the per-run parity check. Target: staging. Parameters: outbox_ids.
WITH pending AS (
    SELECT product_keys, sales_keys
    FROM "dev_az_jssync_production_outbox"
    WHERE id = ANY(%(outbox_ids)s)
)

SELECT DISTINCT key ->> 'asin' AS asin  -- keys are named objects (migration 0014)
FROM pending, jsonb_array_elements(pending.product_keys || pending.sales_keys) AS key
ORDER BY 1
