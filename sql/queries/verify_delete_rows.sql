-- Verify --delete-extra: delete production rows staging does not have, by key, except a row
-- newer than staging's newest row of its ASIN (`newest`, seconds since the epoch; NULL when
-- staging's rows have no stamp): that is another writer's, never deleted, even if it was
-- written after verify read it.
-- Target: production. Parameters: keys (a JSON array of key objects with `newest`).
-- Context: data_table, key (name -> SQL type).
DELETE FROM {{ table(data_table) }} AS data
USING jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
    {% for name, type in key.items() %}{{ name }} {{ type }}, {% endfor %}newest numeric
)
WHERE {% for name in key %}data.{{ name }} = wanted.{{ name }} AND {% endfor %}(
    GREATEST(data.updated_at, data.created_at) IS NULL
    OR extract(epoch FROM GREATEST(data.updated_at, data.created_at)) <= wanted.newest)
