-- Verify --delete-extra: delete production rows staging does not have, by key.
-- Target: production. Parameters: keys (a JSON array of key objects). Context: data_table,
-- key (name -> SQL type).
DELETE FROM {{ table(data_table) }} AS data
USING jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
    {% for name, type in key.items() %}{{ name }} {{ type }}{{ ', ' if not loop.last }}{% endfor %}

)
WHERE {% for name in key %}data.{{ name }} = wanted.{{ name }}{{ ' AND ' if not loop.last }}{% endfor %}

