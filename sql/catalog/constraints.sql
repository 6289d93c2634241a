-- Schema dump: primary keys, unique, check, foreign key and exclusion constraints of the
-- prefix's tables (PostgreSQL 18 also lists NOT NULL as constraints: those show on columns).
-- Parameters: prefix.
{% import 'macros.sql' as m with context %}
SELECT
    c.relname AS table_name,
    k.conname AS constraint_name,
    pg_get_constraintdef(k.oid) AS definition
FROM pg_constraint AS k
JOIN pg_class AS c ON c.oid = k.conrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE {{ m.of_this_prefix('n', 'c.relname') }}
  AND k.contype IN ('p', 'u', 'c', 'f', 'x')
ORDER BY c.relname, k.conname
