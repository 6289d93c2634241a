-- One landed table of a merged load, kept until the archive holds it (in the staging merge's
-- transaction). Target: staging. Parameters: load_id, table_name, run_id, row_count, parquet.
INSERT INTO {{ table('jssync_archive_pending') }} (load_id, table_name, run_id, row_count, parquet)
VALUES (%(load_id)s, %(table_name)s, %(run_id)s::uuid, %(row_count)s, %(parquet)s)
ON CONFLICT (load_id, table_name) DO UPDATE
SET run_id = excluded.run_id, row_count = excluded.row_count, parquet = excluded.parquet
