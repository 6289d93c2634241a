-- Variation families: which of the given groups were audited before in this marketplace (the
-- audit draws from the others first). Target: staging. Parameters: marketplace, parents, ranks
-- (as family_demoted).
SELECT DISTINCT a.parent_asin, a.product_rank
FROM "dev_az_jssync_family_audits" AS a
JOIN unnest(%(parents)s::text[], %(ranks)s::integer[]) AS g (parent_asin, product_rank)
  ON g.parent_asin = a.parent_asin AND g.product_rank = a.product_rank
WHERE a.marketplace = %(marketplace)s
