-- A sync run's catalogue, remembered at its start. When it differs from the one stored and no
-- switch is pending, the stored one becomes the pending switch's `previous`, which the next
-- cleanup applies and clears (queries/cleanup_invisible.sql). Returns the pending previous
-- catalogue (NULLs when none). Target: staging. Parameters: catalogue_table, asin_column,
-- visibility_column.
{% set changed = "(state.catalogue_table, state.asin_column, state.visibility_column)
        IS DISTINCT FROM (EXCLUDED.catalogue_table, EXCLUDED.asin_column, EXCLUDED.visibility_column)" %}
INSERT INTO {{ table('jssync_catalogue_state') }} AS state
    (id, catalogue_table, asin_column, visibility_column)
VALUES (true, %(catalogue_table)s, %(asin_column)s, %(visibility_column)s)
ON CONFLICT (id) DO UPDATE SET
{% for column in ('table', 'asin_column', 'visibility_column') %}
    previous_{{ column }} = CASE
        WHEN state.previous_table IS NULL AND {{ changed }}
        THEN state.{{ 'catalogue_table' if column == 'table' else column }}
        ELSE state.previous_{{ column }} END,
{% endfor %}
    changed_at = CASE WHEN {{ changed }}
        THEN (now() AT TIME ZONE 'UTC') ELSE state.changed_at END,
    catalogue_table = EXCLUDED.catalogue_table,
    asin_column = EXCLUDED.asin_column,
    visibility_column = EXCLUDED.visibility_column
RETURNING previous_table, previous_asin_column, previous_visibility_column
