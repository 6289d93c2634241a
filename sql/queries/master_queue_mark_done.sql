-- Mark the ASINs of a merged batch done in the master queue. Runs inside the batch's staging
-- merge transaction and reads the same per-ASIN outcomes as the sync_status model, so the queue
-- never says done for work staging does not hold. ASINs whose fetch failed (API error, timeout)
-- or whose sales request the monthly budget refused (not attempted) stay pending: a later
-- `resume` asks for them again; so do those whose sales had not come when the run was stopped
-- (SIGTERM) mid-batch (sales_status 'pending'). Target: staging. Parameters: run_id.
UPDATE {{ table('jssync_master_queue') }} AS q
SET done_at = (now() AT TIME ZONE 'UTC'),
    run_id = %(run_id)s::uuid
FROM (
    SELECT DISTINCT asin
    FROM in_asin_outcomes
    WHERE product_status NOT IN ('failed', 'not_attempted')
      AND sales_status NOT IN ('failed', 'not_attempted', 'pending')
) AS finished
WHERE q.asin = finished.asin
