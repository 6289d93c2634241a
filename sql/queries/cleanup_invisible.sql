-- Step 1 of a sync: stop tracking ASINs the site hid. Returns the number removed. Target: staging.
-- Removed: an ASIN the product table lists as hidden (a row with visibility false) and shows in
-- no other row (as jssync_cleanup_invisible_v1 of 0003, which stays in the database for older
-- code). ASINs missing from the product table are kept: an emptied table must not wipe progress.
-- Kept too: an ASIN listed by hand that has not synced yet (macro listed_pending, issue 19).
{% import 'macros.sql' as m with context %}
WITH removed AS (
    DELETE FROM {{ table('jungle_scout_sync_status') }} AS s
    WHERE EXISTS (
            SELECT 1 FROM {{ table('product') }} AS p
            WHERE p.asin = s.asin AND p.product_visibility = false)
      AND NOT EXISTS (
            SELECT 1 FROM {{ table('product') }} AS p
            WHERE p.asin = s.asin AND p.product_visibility = true)
      AND NOT {{ m.listed_pending('s') }}
    RETURNING 1
)

SELECT count(*)::integer AS removed FROM removed
