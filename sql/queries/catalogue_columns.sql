-- The catalogue's checks before a run touches anything: does a table (or view) of this name
-- exist in staging's search path, may this user read it, and its columns with their type
-- category (pg_type.typcategory: S string, B boolean, ...). One row per column; a single row of
-- NULLs when no such relation exists. Target: staging. Parameters: table (the full name).
WITH relation AS (
    SELECT to_regclass(quote_ident(%(table)s)) AS oid
)

SELECT r.oid::text AS relation,
       r.oid IS NOT NULL AND has_table_privilege(r.oid, 'SELECT') AS readable,
       a.attname::text AS column_name,
       t.typcategory::text AS category
FROM relation AS r
LEFT JOIN pg_attribute AS a
  ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type AS t ON t.oid = a.atttypid
ORDER BY a.attnum
