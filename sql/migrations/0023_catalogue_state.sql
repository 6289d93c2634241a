-- Issue 19: the catalogue is configurable (CATALOGUE_TABLE, CATALOGUE_TABLE_FROM, ...), and the
-- owner switches the active ASIN table by changing a row. Staging remembers the catalogue the
-- sync last read, one row: its table and columns, and while a switch is pending (seen at a run's
-- start, applied by the next cleanup) the previous ones, so that the cleanup can drop the ASINs
-- the old table showed and the new one does not. Staging only.
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jssync_catalogue_state') }} (
    id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    catalogue_table TEXT NOT NULL,
    asin_column TEXT NOT NULL,
    visibility_column TEXT NOT NULL,
    previous_table TEXT,
    previous_asin_column TEXT,
    previous_visibility_column TEXT,
    changed_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
{% endif %}
