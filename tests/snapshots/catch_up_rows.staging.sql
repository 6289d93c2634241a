-- `jssync catch-up --full`: every staging row of some ASINs of one data table, in the column
-- order production's input tables take, for production to upsert through the publish models
-- (loaders/level.py). Target: staging. Parameters: asins. Context: data_table, columns.
SELECT data.asin, data.marketplace, data.date, data.is_parent, data.is_variant, data.is_standalone, data.parent_asin, data.estimated_units_sold, data.last_known_price, data.updated_at, data.created_at
FROM "dev_az_jungle_scout_sales_estimate_data" AS data
WHERE data.asin = ANY(%(asins)s::text[])
