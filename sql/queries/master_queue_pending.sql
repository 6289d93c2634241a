-- The master sync's work still to do, in queue order, with what the sales range needs.
-- ASINs hidden since the queue was filled are left out. Target: staging.
{% import 'macros.sql' as m with context %}
SELECT q.asin,
       CASE WHEN s.has_product_data THEN 'stale' ELSE 'new' END AS kind,
       s.sales_estimate_data_synced_at AS sales_synced_at
FROM {{ table('jssync_master_queue') }} AS q
LEFT JOIN {{ table('jungle_scout_sync_status') }} AS s ON s.asin = q.asin
WHERE q.done_at IS NULL
  AND {{ m.shows('q.asin') }}
ORDER BY q.position
