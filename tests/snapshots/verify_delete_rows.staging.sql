-- Verify --delete-extra: delete production rows staging does not have, by key.
-- Target: production. Parameters: keys (a JSON array of key objects). Context: data_table,
-- key (name -> SQL type).
DELETE FROM "dev_az_jungle_scout_sales_estimate_data" AS data
USING jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
asin text, marketplace text, date date
)
WHERE data.asin = wanted.asin AND data.marketplace = wanted.marketplace AND data.date = wanted.date
