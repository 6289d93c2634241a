-- CATALOGUE_TABLE_FROM: the active catalogue table named, in full, by the meta table's
-- `table_name` column (the owner's {prefix}frontend_asin). Blank values are ignored; more than
-- one distinct name is an error the caller reports (hence up to two rows). Target: staging.
-- Context: table_from (the meta table's name without the prefix).
SELECT DISTINCT btrim(meta.table_name) AS table_name
FROM "dev_az_frontend_asin" AS meta
WHERE meta.table_name IS NOT NULL
  AND btrim(meta.table_name) <> ''
ORDER BY 1
LIMIT 2
