-- `jssync catch-up --full`: every staging row of some ASINs of one data table, in the column
-- order production's input tables take, for production to upsert through the publish models
-- (loaders/level.py). Target: staging. Parameters: asins. Context: data_table, columns.
SELECT {% for column in columns %}data.{{ column }}{{ ', ' if not loop.last }}{% endfor %}

FROM {{ table(data_table) }} AS data
WHERE data.asin = ANY(%(asins)s::text[])
