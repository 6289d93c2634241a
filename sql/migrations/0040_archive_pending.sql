-- The landing archive's pending loads (LANDING_ARCHIVE_URL, issue 20): every merged load's landed
-- tables as the Parquet files the archive gets, one row per load and table, written in the
-- staging merge's transaction and deleted once the archive holds them. A Cloud Run Job's disk
-- vanishes after each run, so a load the archive could not take (it was down, the process was
-- killed) is uploaded by a later run from here; retention never prunes a load listed here.
-- `parquet` is the file itself (compressed already, so stored without TOAST compression).
-- Staging only.
{% if target == 'staging' %}
CREATE TABLE IF NOT EXISTS {{ table('jssync_archive_pending') }} (
    load_id TEXT NOT NULL,
    table_name TEXT NOT NULL,
    run_id UUID NOT NULL,
    row_count BIGINT NOT NULL,
    parquet BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (load_id, table_name)
);
ALTER TABLE {{ table('jssync_archive_pending') }} ALTER COLUMN parquet SET STORAGE EXTERNAL;
{% endif %}
