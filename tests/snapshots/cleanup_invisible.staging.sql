-- Step 1 of a sync: stop tracking ASINs the site hid. Returns the number removed. Target: staging.
-- Removed: an ASIN the catalogue lists as hidden (a row with visibility false) and shows in no
-- other row. ASINs missing from the catalogue are kept: an emptied table must not wipe progress.
-- Right after a switch of the active table (`catalogue.previous`: the one the last cleanup
-- read), ASINs that table showed and the new one does not show are removed too, and the switch
-- is marked done; unless the new table shows no ASIN at all (not filled yet): then the switch
-- waits for the next run. (This replaces the stored jssync_cleanup_invisible_v1, which read
-- only {prefix}product; the function stays in the database for older code.)
-- Never removed: an ASIN listed by hand (a file, a manual list) that has not synced yet since it
-- was listed (macro listed_pending; issue 19), whichever catalogue shows or hides it.
WITH removed AS (
    DELETE FROM "dev_az_jungle_scout_sync_status" s
    WHERE (EXISTS (
            SELECT 1 FROM "dev_az_product" p
            WHERE p."asin" = s.asin AND p."product_visibility" = false)
      AND NOT EXISTS (
            SELECT 1 FROM "dev_az_product" p
            WHERE p."asin" = s.asin AND p."product_visibility" = true)
    )
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
