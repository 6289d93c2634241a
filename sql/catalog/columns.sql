-- Schema dump: every column of the prefix's tables, in table order, then column order.
-- Parameters: prefix. Reads pg_catalog only; runs on either target.
{% import 'macros.sql' as m with context %}
SELECT
    c.relname AS table_name,
    a.attname AS column_name,
    format_type(a.atttypid, a.atttypmod) AS data_type,
    a.attnotnull AS not_null,
    pg_get_expr(d.adbin, d.adrelid) AS default_value
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef AS d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE {{ m.of_this_prefix('n', 'c.relname') }}
  AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum
