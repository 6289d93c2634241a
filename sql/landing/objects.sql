-- The tables (with DuckDB's row estimate) and views of the landing schema, for `jssync landing`.
SELECT 'table' AS type, table_name AS name, estimated_size AS rows
FROM duckdb_tables()
WHERE schema_name = 'landing'
UNION ALL
SELECT 'view' AS type, view_name AS name, NULL AS rows
FROM duckdb_views()
WHERE schema_name = 'landing' AND NOT internal
ORDER BY type, name;
