-- The master sync's work still to do, in queue order, with what the sales range needs.
-- ASINs hidden since the queue was filled are left out. Target: staging.
SELECT q.asin,
       CASE WHEN s.has_product_data THEN 'stale' ELSE 'new' END AS kind,
       s.sales_estimate_data_synced_at AS sales_synced_at
FROM "dev_az_jssync_master_queue" AS q
LEFT JOIN "dev_az_jungle_scout_sync_status" AS s ON s.asin = q.asin
WHERE q.done_at IS NULL
  AND EXISTS (
            SELECT 1 FROM "dev_az_product" p
            WHERE p."asin" = q.asin AND p."product_visibility" = true)
ORDER BY q.position
