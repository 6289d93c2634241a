-- Verify, level 4: the full rows of some keys, in the column order production's input tables
-- take: read from both targets to name the differing columns, and from staging to repair
-- production through the publish models. Only rows found to differ are asked for. A
-- timestamptz column is read as its UTC timestamp, so both targets' text compares alike and
-- either type of production column takes it (connections run with TimeZone=UTC).
-- Target: staging and production. Parameters: keys (a JSON array of key objects).
-- Context: data_table, columns, zoned (its timestamptz columns), key (name -> SQL type).
{% import 'macros.sql' as m with context %}
SELECT {{ m.utc_columns(columns, zoned, 'data.') }}
FROM {{ table(data_table) }} AS data
JOIN jsonb_to_recordset(%(keys)s::jsonb) AS wanted (
    {% for name, type in key.items() %}{{ name }} {{ type }}{{ ', ' if not loop.last }}{% endfor %}

) ON {% for name in key %}data.{{ name }} = wanted.{{ name }}{{ ' AND ' if not loop.last }}{% endfor %}

ORDER BY {% for name in key %}data.{{ name }}{{ ', ' if not loop.last }}{% endfor %}

