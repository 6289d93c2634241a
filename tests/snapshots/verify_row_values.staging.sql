-- Verify, level 4: the full rows of some keys, in the column order production's input tables
-- take: read from both targets to name the differing columns, and from staging to repair
-- production through the publish models. Only rows found to differ are asked for. A
-- timestamptz column is read as its UTC timestamp, so both targets' text compares alike and
-- either type of production column takes it (connections run with TimeZone=UTC).
-- Target: staging and production. Parameters: keys (a JSON array of key objects).
-- Context: data_table, columns, zoned (its timestamptz columns), key (name -> SQL type).
SELECT data.asin, data.marketplace, data.date, data.is_parent, data.is_variant, data.is_standalone, data.parent_asin, data.estimated_units_sold, data.last_known_price, data.updated_at, data.created_at
FROM "dev_az_jungle_scout_sales_estimate_data" AS data
JOIN jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
asin text, marketplace text, date date
) ON data.asin = wanted.asin AND data.marketplace = wanted.marketplace AND data.date = wanted.date
ORDER BY data.asin, data.marketplace, data.date
