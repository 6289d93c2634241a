-- Verify, level 3: each row's key and hash (64 bits of md5), for the ASINs whose checksums differ.
-- Target: staging and production. Parameters: asins, marketplace (NULL: every marketplace; the
-- sales table only). Context: data_table, columns, key, by_marketplace.
SELECT {{ key | join(', ') }},
       left(md5(ROW({{ columns | join(', ') }})::text), 16) AS row_hash  -- 64 bits: per key, plenty
FROM {{ table(data_table) }}
WHERE asin = ANY(%(asins)s::text[])
{% if by_marketplace %}
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
{% endif %}
