-- Variation families: which of the given groups an audit demoted in this marketplace (their
-- members get their own calls). Target: staging. Parameters: marketplace, parents (text array),
-- ranks (integer array, the same length: group i is parents[i], ranks[i]).
SELECT d.parent_asin, d.product_rank
FROM "dev_az_jssync_family_demotions" AS d
JOIN unnest(%(parents)s::text[], %(ranks)s::integer[]) AS g (parent_asin, product_rank)
  ON g.parent_asin = d.parent_asin AND g.product_rank = d.product_rank
WHERE d.marketplace = %(marketplace)s
