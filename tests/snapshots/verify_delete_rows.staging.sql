-- Verify --delete-extra: delete production rows staging does not have, by key, except a row
-- newer than staging's newest row of its ASIN (`newest`, seconds since the epoch; NULL when
-- staging's rows have no stamp): that is another writer's, never deleted, even if it was
-- written after verify read it.
-- Target: production. Parameters: keys (a JSON array of key objects with `newest`).
-- Context: data_table, key (name -> SQL type).
DELETE FROM "dev_az_jungle_scout_sales_estimate_data" AS data
USING jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
asin text, marketplace text, date date, newest numeric
)
WHERE data.asin = wanted.asin AND data.marketplace = wanted.marketplace AND data.date = wanted.date AND (
    GREATEST(data.updated_at, data.created_at) IS NULL
    OR extract(epoch FROM GREATEST(data.updated_at, data.created_at)) <= wanted.newest)
