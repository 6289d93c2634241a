-- Verify, level 2: one checksum per ASIN, for the ASINs of the buckets that differ (or for the
-- ASINs a sync just published: the per-run parity check). Row hashes as in verify_buckets.
-- Target: staging and production. Parameters: buckets and bucket_ids, or asins; marketplace
-- (NULL: every marketplace; the sales table only). Context: data_table, columns, zoned (its timestamptz columns),
-- by_marketplace, by ('buckets' or 'asins').
{% import 'macros.sql' as m with context %}
SELECT asin,
       count(*) AS row_count,
       sum(('x' || left(md5(ROW({{ m.utc_columns(columns, zoned) }})::text), 15))::bit(60)::bigint)::text AS checksum
FROM {{ table(data_table) }}
{% if by == 'asins' %}
WHERE asin = ANY(%(asins)s::text[])
{% else %}
WHERE mod(hashtext(asin) & 2147483647, %(buckets)s) = ANY(%(bucket_ids)s::integer[])
{% endif %}
{% if by_marketplace %}
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
{% endif %}
GROUP BY asin
