-- Variation families: the history staging holds for each given group, for its new members to
-- copy with no call: the rows since `since` of one tracked member with sales synced (the donor;
-- preferably one whose rows are all its own answers, then the most recently synced), and for
-- each day the ASIN whose answer it is (the donor, or the source its row was copied from).
-- Target: staging. Parameters: marketplace, parents, ranks (as family_demoted), since.
WITH wanted AS (
    SELECT g.parent_asin, g.product_rank
    FROM unnest(%(parents)s::text[], %(ranks)s::integer[]) AS g (parent_asin, product_rank)
),

candidates AS (
    SELECT w.parent_asin, w.product_rank, f.asin, s.sales_estimate_data_synced_at AS synced_at,
           EXISTS (
               SELECT 1 FROM {{ table('jssync_sales_provenance') }} AS p
               WHERE p.asin = f.asin AND p.marketplace = %(marketplace)s) AS copied
    FROM wanted AS w
    JOIN {{ table('jssync_asin_family') }} AS f
      ON f.parent_asin = w.parent_asin AND f.product_rank = w.product_rank
    JOIN {{ table('jungle_scout_sync_status') }} AS s ON s.asin = f.asin
    WHERE s.has_sales_data = true
      AND s.sales_estimate_data_synced_at IS NOT NULL
),

donors AS (
    SELECT DISTINCT ON (c.parent_asin, c.product_rank) c.parent_asin, c.product_rank, c.asin, c.synced_at
    FROM candidates AS c
    ORDER BY c.parent_asin, c.product_rank, c.copied, c.synced_at DESC, c.asin
)

SELECT d.parent_asin, d.product_rank, d.asin, d.synced_at, e.date, e.estimated_units_sold,
       (SELECT p.source_asin
        FROM {{ table('jssync_sales_provenance') }} AS p
        WHERE p.asin = d.asin AND p.marketplace = %(marketplace)s
          AND e.date BETWEEN p.first_date AND p.last_date
        LIMIT 1) AS source_asin
FROM donors AS d
LEFT JOIN {{ table('jungle_scout_sales_estimate_data') }} AS e
  ON e.asin = d.asin AND e.marketplace = %(marketplace)s AND e.date >= %(since)s
ORDER BY d.parent_asin, d.product_rank, e.date
