-- Verify, level 2: one checksum per ASIN, for the ASINs of the buckets that differ (or for the
-- ASINs a sync just published: the per-run parity check). Row hashes as in verify_buckets.
-- Target: staging and production. Parameters: buckets and bucket_ids, or asins; marketplace
-- (NULL: every marketplace; the sales table only). Context: data_table, columns, zoned (its timestamptz columns),
-- by_marketplace, by ('buckets' or 'asins').
SELECT asin,
       count(*) AS row_count,
       sum(('x' || left(md5(ROW(asin, marketplace, date, is_parent, is_variant, is_standalone, parent_asin, estimated_units_sold, last_known_price, updated_at, created_at)::text), 15))::bit(60)::bigint)::text AS checksum
FROM "dev_az_jungle_scout_sales_estimate_data"
WHERE mod(hashtext(asin) & 2147483647, %(buckets)s) = ANY(%(bucket_ids)s::integer[])
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
GROUP BY asin
