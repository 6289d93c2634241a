-- Step 1 of a sync: stop tracking ASINs the site hid. Returns the number removed. Target: staging.
-- Removed: an ASIN the product table lists as hidden (a row with visibility false) and shows in
-- no other row (as jssync_cleanup_invisible_v1 of 0003, which stays in the database for older
-- code). ASINs missing from the product table are kept: an emptied table must not wipe progress.
-- Kept too: an ASIN listed by hand that has not synced yet (macro listed_pending, issue 19).
WITH removed AS (
    DELETE FROM "dev_az_jungle_scout_sync_status" AS s
    WHERE EXISTS (
            SELECT 1 FROM "dev_az_product" AS p
            WHERE p.asin = s.asin AND p.product_visibility = false)
      AND NOT EXISTS (
            SELECT 1 FROM "dev_az_product" AS p
            WHERE p.asin = s.asin AND p.product_visibility = true)
      AND NOT EXISTS (
        SELECT 1 FROM "dev_az_jssync_listed_asins" AS listed
        WHERE listed.asin = s.asin
          AND (s.created_at <= listed.listed_at) IS NOT FALSE
          AND (s.product_fetch_attempted_at >= listed.listed_at) IS NOT TRUE
          AND ((listed.wants_product AND (s.product_data_synced_at >= listed.listed_at) IS NOT TRUE)
               OR (listed.wants_sales
                   AND (s.sales_estimate_data_synced_at >= date_trunc('day', listed.listed_at)) IS NOT TRUE)))
    RETURNING 1
)

SELECT count(*)::integer AS removed FROM removed
