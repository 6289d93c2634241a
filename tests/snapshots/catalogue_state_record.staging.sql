-- A sync run's catalogue, remembered at its start. When it differs from the one stored and no
-- switch is pending, the stored one becomes the pending switch's `previous`, which the next
-- cleanup applies and clears (queries/cleanup_invisible.sql). Returns the pending previous
-- catalogue (NULLs when none). Target: staging. Parameters: catalogue_table, asin_column,
-- visibility_column.
INSERT INTO "dev_az_jssync_catalogue_state" AS state
    (id, catalogue_table, asin_column, visibility_column)
VALUES (true, %(catalogue_table)s, %(asin_column)s, %(visibility_column)s)
ON CONFLICT (id) DO UPDATE SET
    previous_table = CASE
        WHEN state.previous_table IS NULL AND (state.catalogue_table, state.asin_column, state.visibility_column)
        IS DISTINCT FROM (EXCLUDED.catalogue_table, EXCLUDED.asin_column, EXCLUDED.visibility_column)
        THEN state.catalogue_table
        ELSE state.previous_table END,
    previous_asin_column = CASE
        WHEN state.previous_table IS NULL AND (state.catalogue_table, state.asin_column, state.visibility_column)
        IS DISTINCT FROM (EXCLUDED.catalogue_table, EXCLUDED.asin_column, EXCLUDED.visibility_column)
        THEN state.asin_column
        ELSE state.previous_asin_column END,
    previous_visibility_column = CASE
        WHEN state.previous_table IS NULL AND (state.catalogue_table, state.asin_column, state.visibility_column)
        IS DISTINCT FROM (EXCLUDED.catalogue_table, EXCLUDED.asin_column, EXCLUDED.visibility_column)
        THEN state.visibility_column
        ELSE state.previous_visibility_column END,
    changed_at = CASE WHEN (state.catalogue_table, state.asin_column, state.visibility_column)
        IS DISTINCT FROM (EXCLUDED.catalogue_table, EXCLUDED.asin_column, EXCLUDED.visibility_column)
        THEN (now() AT TIME ZONE 'UTC') ELSE state.changed_at END,
    catalogue_table = EXCLUDED.catalogue_table,
    asin_column = EXCLUDED.asin_column,
    visibility_column = EXCLUDED.visibility_column
RETURNING previous_table, previous_asin_column, previous_visibility_column
