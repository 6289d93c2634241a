-- Verify, level 3: each row's key, hash (64 bits of md5) and stamp, for the ASINs whose checksums
-- differ. The stamp, GREATEST(updated_at, created_at) in seconds since the epoch (UTC, whether
-- the columns are timestamp or timestamptz), tells a row another writer made newer than
-- staging's from a drifted one. Target: staging and production. Parameters: asins, marketplace
-- (NULL: every marketplace; the sales table only). Context: data_table, columns, zoned (its
-- timestamptz columns), key, by_marketplace.
SELECT asin, marketplace, date,
       left(md5(ROW(asin, marketplace, date, is_parent, is_variant, is_standalone, parent_asin, estimated_units_sold, last_known_price, updated_at, created_at)::text), 16) AS row_hash,  -- 64 bits: per key, plenty
       extract(epoch FROM GREATEST(updated_at, created_at))::text AS stamp
FROM "dev_az_jungle_scout_sales_estimate_data"
WHERE asin = ANY(%(asins)s::text[])
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
