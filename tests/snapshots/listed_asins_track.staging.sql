-- A manual sync's listed ASINs, before anything is fetched: each is remembered as listed now
-- (for which parts), and one not tracked yet gets its sync_status row as a new ASIN, as the Go
-- service tracks manual ASINs, so a run stopped before it reached them leaves them due for the
-- hourly sync, and a cleanup keeps them until they have synced (macro listed_pending).
-- Returns the ASINs listed and the ASINs newly tracked. Target: staging.
-- Parameters: asins (text array), wants_product, wants_sales, run_id.
WITH given AS (
    SELECT DISTINCT a.asin
    FROM unnest(%(asins)s::text[]) AS a (asin)
),

listed AS (
    INSERT INTO "dev_az_jssync_listed_asins" AS listed (asin, listed_at, wants_product, wants_sales, run_id)
    SELECT asin, (now() AT TIME ZONE 'UTC'), %(wants_product)s, %(wants_sales)s, %(run_id)s::uuid
    FROM given
    ON CONFLICT (asin) DO UPDATE SET
        listed_at = EXCLUDED.listed_at,
        wants_product = EXCLUDED.wants_product,
        wants_sales = EXCLUDED.wants_sales,
        run_id = EXCLUDED.run_id
    RETURNING listed.asin
),

tracked AS (
    INSERT INTO "dev_az_jungle_scout_sync_status" (asin, has_product_data, has_sales_data, created_at, updated_at)
    SELECT g.asin, false, false, (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
    FROM given AS g
    WHERE NOT EXISTS (SELECT 1 FROM "dev_az_jungle_scout_sync_status" AS s WHERE s.asin = g.asin)
    ON CONFLICT (asin) DO NOTHING
    RETURNING asin
)

SELECT (SELECT count(*) FROM listed)::integer AS listed, (SELECT count(*) FROM tracked)::integer AS tracked
