-- Verify, level 3: each row's key, hash (64 bits of md5) and stamp, for the ASINs whose checksums
-- differ. The stamp, GREATEST(updated_at, created_at) in seconds since the epoch (UTC, whether
-- the columns are timestamp or timestamptz), tells a row another writer made newer than
-- staging's from a drifted one. Target: staging and production. Parameters: asins, marketplace
-- (NULL: every marketplace; the sales table only). Context: data_table, columns, zoned (its
-- timestamptz columns), key, by_marketplace.
{% import 'macros.sql' as m with context %}
SELECT {{ key | join(', ') }},
       left(md5(ROW({{ m.utc_columns(columns, zoned) }})::text), 16) AS row_hash,  -- 64 bits: per key, plenty
       extract(epoch FROM GREATEST(updated_at, created_at))::text AS stamp
FROM {{ table(data_table) }}
WHERE asin = ANY(%(asins)s::text[])
{% if by_marketplace %}
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
{% endif %}
