{#- The landing's tables over the landing archive's Parquet files (DuckDB), rendered by
    extract/archive.py: as views for `jssync landing --archive`, which prints this and then the
    analysts' views of views/ to paste into `duckdb`; as tables for `jssync landing
    --from-archive PATH`, which then creates those same views in PATH. `sources`: landing table ->
    read_parquet's argument (a glob, or a list of files). landing._dlt_loads is the archive's
    landing_loads (dlt's record of each landed load, which the runs view reads). -#}
{% if kind == 'VIEW' -%}
-- The landing archive {{ url }} (LANDING_ARCHIVE_URL), read in place: paste into `duckdb`.
-- Each table is a view over its Parquet files ({table}/{load_id}.{file_id}.parquet; every row
-- carries its _dlt_load_id), then come the landing file's own views over them.
{% for table, files in listing.items() -%}
-- {{ table }}: {{ files | length }} file{{ '' if files | length == 1 else 's' }}
{% endfor -%}
{% if scheme == 'gs' -%}
-- gs:// is read by DuckDB's httpfs extension with an HMAC key of an account that may read the
-- bucket (Cloud Storage > Settings > Interoperability); fill it in and run this line first:
--   CREATE SECRET landing_archive (TYPE gcs, KEY_ID '<HMAC key id>', SECRET '<HMAC secret>');
-- Or, without a key: jssync landing --from-archive /tmp/archive.duckdb (reads with your gcloud login).
INSTALL httpfs;
LOAD httpfs;
{% elif scheme == 's3' -%}
-- s3:// is read by DuckDB's httpfs extension with the AWS credentials of your environment.
INSTALL httpfs;
LOAD httpfs;
INSTALL aws;
LOAD aws;
CREATE OR REPLACE SECRET landing_archive (TYPE s3, PROVIDER credential_chain);
{% endif -%}
{% endif -%}
CREATE SCHEMA IF NOT EXISTS landing;
{% for table, source in sources.items() %}
CREATE OR REPLACE {{ kind }} landing.{{ table }} AS
SELECT * FROM read_parquet({{ source }}, union_by_name = true);
{% endfor %}
