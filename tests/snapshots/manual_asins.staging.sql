-- The ASINs of a manual (product-only or sales-only) sync, with what the sales range needs:
-- the given list in its order, or every visible ASIN (in ASIN order) when `asins` is NULL.
-- Target: staging. Parameters: asins (a text array, or NULL).
WITH given AS (
    SELECT a.asin, a.n
    FROM unnest(%(asins)s::text[]) WITH ORDINALITY AS a (asin, n)
),

visible AS (
    SELECT v.asin, row_number() OVER (ORDER BY v.asin) AS n
    FROM (
        SELECT DISTINCT p."asin" AS asin
        FROM "dev_az_product" p
        WHERE p."product_visibility" = true
          AND p."asin" IS NOT NULL
          AND btrim(p."asin") <> ''
    ) AS v
    WHERE %(asins)s::text[] IS NULL
),

wanted AS (
    SELECT asin, n FROM given
    UNION ALL
    SELECT asin, n FROM visible
)

SELECT w.asin,
       CASE WHEN s.has_product_data THEN 'stale' ELSE 'new' END AS kind,
       s.sales_estimate_data_synced_at AS sales_synced_at
FROM wanted AS w
LEFT JOIN "dev_az_jungle_scout_sync_status" AS s ON s.asin = w.asin
ORDER BY w.n
