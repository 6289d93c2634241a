-- Schema dump: the prefix's sequences (serial columns) with their type and owning column.
-- Parameters: prefix.
{% import 'macros.sql' as m with context %}
SELECT
    s.relname AS sequence_name,
    format_type(q.seqtypid, NULL) AS data_type,
    owner_table.relname || '.' || owner_column.attname AS owned_by
FROM pg_sequence AS q
JOIN pg_class AS s ON s.oid = q.seqrelid
JOIN pg_namespace AS n ON n.oid = s.relnamespace
LEFT JOIN pg_depend AS d
    ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'a'
    AND d.refclassid = 'pg_class'::regclass
LEFT JOIN pg_class AS owner_table ON owner_table.oid = d.refobjid
LEFT JOIN pg_attribute AS owner_column
    ON owner_column.attrelid = d.refobjid AND owner_column.attnum = d.refobjsubid
WHERE {{ m.of_this_prefix('n', 's.relname') }}
ORDER BY s.relname
