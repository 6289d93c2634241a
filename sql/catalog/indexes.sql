-- Schema dump: every index on the prefix's tables, primary key indexes included.
-- Parameters: prefix.
{% import 'macros.sql' as m with context %}
SELECT
    t.relname AS table_name,
    i.relname AS index_name,
    pg_get_indexdef(i.oid) AS definition
FROM pg_index AS x
JOIN pg_class AS i ON i.oid = x.indexrelid
JOIN pg_class AS t ON t.oid = x.indrelid
JOIN pg_namespace AS n ON n.oid = t.relnamespace
WHERE {{ m.of_this_prefix('n', 't.relname') }}
ORDER BY t.relname, i.relname
