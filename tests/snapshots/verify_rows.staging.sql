-- Verify, level 3: each row's key and hash (64 bits of md5), for the ASINs whose checksums differ.
-- Target: staging and production. Parameters: asins, marketplace (NULL: every marketplace; the
-- sales table only). Context: data_table, columns, key, by_marketplace.
SELECT asin, marketplace, date,
       left(md5(ROW(asin, marketplace, date, is_parent, is_variant, is_standalone, parent_asin, estimated_units_sold, last_known_price, updated_at, created_at)::text), 16) AS row_hash  -- 64 bits: per key, plenty
FROM "dev_az_jungle_scout_sales_estimate_data"
WHERE asin = ANY(%(asins)s::text[])
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
