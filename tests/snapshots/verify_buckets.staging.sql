-- Verify, level 1: one checksum per bucket of ASINs, computed inside the database, so only
-- `buckets` small rows per table cross the network whatever the table's size. A bucket is
-- mod(hashtext(asin) & 2147483647, buckets): the same ASIN lands in the same bucket on both
-- targets. A row's hash is the first 60 bits of md5 of every column the service writes; a
-- bucket's checksum is the sum of its rows' hashes (order-free), with its row and ASIN counts.
-- Target: staging and production. Parameters: buckets, marketplace (NULL: every marketplace;
-- the sales table only). Context: data_table, columns, zoned (its timestamptz columns), by_marketplace.
WITH hashed AS (
    SELECT asin,
           ('x' || left(md5(ROW(asin, marketplace, date, is_parent, is_variant, is_standalone, parent_asin, estimated_units_sold, last_known_price, updated_at, created_at)::text), 15))::bit(60)::bigint AS h
    FROM "dev_az_jungle_scout_sales_estimate_data"
    WHERE (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
),

per_asin AS (
    SELECT asin, count(*) AS row_count, sum(h) AS checksum
    FROM hashed
    GROUP BY asin
)

SELECT mod(hashtext(asin) & 2147483647, %(buckets)s) AS bucket,
       sum(row_count)::bigint AS row_count,
       count(*) AS asin_count,
       sum(checksum)::text AS checksum
FROM per_asin
GROUP BY 1
