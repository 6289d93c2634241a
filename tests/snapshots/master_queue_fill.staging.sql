-- A fresh master sync: the queue becomes every visible ASIN (positions in ASIN order) and their
-- sync flags are reset, so all of them are fetched again and sales start over at `date_range`.
-- One transaction: a crash leaves the old queue or the new one, never half of each.
-- Target: staging. Parameters: run_id, date_range. Returns the number of ASINs queued.
DELETE FROM "dev_az_jssync_master_queue";

INSERT INTO "dev_az_jssync_master_queue" (asin, position, run_id, date_range)
SELECT visible.asin, row_number() OVER (ORDER BY visible.asin), %(run_id)s::uuid, %(date_range)s
FROM (
    SELECT DISTINCT p."asin" AS asin
    FROM "dev_az_product" p
    WHERE p."product_visibility" = true
      AND p."asin" IS NOT NULL
      AND btrim(p."asin") <> ''
) AS visible;

UPDATE "dev_az_jungle_scout_sync_status" AS s
SET has_product_data = false,
    has_sales_data = false,
    product_data_synced_at = NULL,
    sales_estimate_data_synced_at = NULL,
    updated_at = (now() AT TIME ZONE 'UTC')
FROM "dev_az_jssync_master_queue" AS q
WHERE q.asin = s.asin;

SELECT count(*) AS queued FROM "dev_az_jssync_master_queue";
