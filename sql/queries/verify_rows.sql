-- Verify, level 3: each row's key and hash, for the ASINs whose checksums differ.
-- Target: staging and production. Parameters: asins, marketplace (NULL: every marketplace; the
-- sales table only). Context: data_table, columns, key, by_marketplace.
SELECT {{ key | join(', ') }},
       md5(ROW({{ columns | join(', ') }})::text) AS row_hash
FROM {{ table(data_table) }}
WHERE asin = ANY(%(asins)s::text[])
{% if by_marketplace %}
  AND (%(marketplace)s::text IS NULL OR marketplace = %(marketplace)s::text)
{% endif %}
