-- Verify: which of a data table's columns are `timestamptz` on this target (an adopted database
-- may have either type; the service's own migrations make `timestamp`), so its row hashes read
-- them as UTC timestamps. Target: staging and production. Context: data_table.
SELECT a.attname::text AS column_name
FROM pg_attribute AS a
WHERE a.attrelid = '{{ table(data_table) }}'::regclass
  AND a.atttypid = 'timestamptz'::regtype
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attnum
