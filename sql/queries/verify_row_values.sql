-- Verify, level 4: the full rows of some keys, in the column order production's input tables
-- take: read from both targets to name the differing columns, and from staging to repair
-- production through the publish models. Only rows found to differ are asked for.
-- Target: staging and production. Parameters: keys (a JSON array of key objects).
-- Context: data_table, columns, key (name -> SQL type).
SELECT {% for column in columns %}data.{{ column }}{{ ', ' if not loop.last }}{% endfor %}

FROM {{ table(data_table) }} AS data
JOIN jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
    {% for name, type in key.items() %}{{ name }} {{ type }}{{ ', ' if not loop.last }}{% endfor %}

) ON {% for name in key %}data.{{ name }} = wanted.{{ name }}{{ ' AND ' if not loop.last }}{% endfor %}

ORDER BY {% for name in key %}data.{{ name }}{{ ', ' if not loop.last }}{% endfor %}

