-- Step 2 of a sync: every visible ASIN not yet tracked starts as "new" (no product, no sales
-- data). Returns the number added. Target: staging. (This replaces the stored
-- jssync_add_new_visible_v1, which read only {prefix}product; it stays for older code.)
WITH added AS (
    INSERT INTO "dev_az_jungle_scout_sync_status"
        (asin, has_product_data, has_sales_data, created_at, updated_at)
    SELECT u.asin, false, false, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
    FROM (
        SELECT DISTINCT pr."asin" AS asin
        FROM "dev_az_product" AS pr
        WHERE pr."product_visibility" = true
          AND pr."asin" IS NOT NULL
          AND btrim(pr."asin") <> ''
          AND NOT EXISTS (
              SELECT 1 FROM "dev_az_jungle_scout_sync_status" AS s WHERE s.asin = pr."asin")
    ) AS u
    ON CONFLICT (asin) DO NOTHING
    RETURNING 1
)

SELECT count(*)::integer AS added FROM added
