-- Variation families: the stored identity of ASINs whose product data a batch does not fetch
-- (a sales gap, a sales-only sync), from each ASIN's newest product row.
-- Target: staging. Parameters: asins (a text array).
SELECT f.asin, f.parent_asin, f.product_rank, f.is_parent, f.is_variant, f.is_standalone
FROM "dev_az_jssync_asin_family" AS f
WHERE f.asin = ANY(%(asins)s::text[])
