"""Migrations: idempotent, checksummed, sync_status on staging only, columns as the Go service's."""

from __future__ import annotations

import pytest

from extract.records import PRODUCT_COLUMNS, SALES_COLUMNS
from loaders.migrate import MigrationError, migrate, migration_files

PG_TYPES = {"text": "text", "varchar": "character varying", "decimal": "numeric", "int": "integer",
            "bool": "boolean", "date": "date", "ts": "timestamp without time zone", "json": "jsonb"}


def columns(db, table: str) -> dict[str, tuple]:
    rows = db.rows("SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale "
                   "FROM information_schema.columns WHERE table_name = %s", (db.prefix + table,))
    return {r[0]: r[1:] for r in rows}


def test_applying_twice_changes_nothing(migrated, staging, production):
    for settings in (migrated.staging, migrated.production):
        again = migrate(settings)
        assert again.applied == [] and again.already == len(migration_files())


def test_changed_applied_file_is_an_error(migrated, staging):
    staging.execute('UPDATE "{p}jssync_schema_migrations" SET checksum = %s WHERE filename = %s',
                    ("0" * 64, "0002_data_tables.sql"))
    with pytest.raises(MigrationError, match="0002_data_tables.sql was changed after it was applied"):
        migrate(migrated.staging)


def test_sync_status_and_functions_on_staging_only(staging, production):
    for name in ("jungle_scout_sync_status", "jssync_runs", "jssync_production_outbox"):
        assert staging.scalar("SELECT to_regclass(%s) IS NOT NULL", (staging.prefix + name,))
        assert production.scalar("SELECT to_regclass(%s) IS NULL", (production.prefix + name,))
    functions = {r[0] for r in staging.rows("SELECT proname FROM pg_proc WHERE proname LIKE %s",
                                            (staging.prefix + "jssync_%",))}
    assert functions >= {staging.prefix + f for f in ("jssync_cleanup_invisible_v1", "jssync_add_new_visible_v1",
                                                      "jssync_select_asins_v1")}
    assert production.scalar("SELECT count(*) FROM pg_proc WHERE proname LIKE %s",
                             (production.prefix + "jssync_%",)) == 0
    index = staging.rows("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                         (staging.prefix + "idx_js_sync_product_fetch_attempted",))
    assert "(product_fetch_attempted_at) WHERE (has_product_data = false)" in index[0][0]


def test_data_columns_match_what_the_extract_validates(staging, production):
    for db in (staging, production):
        product = columns(db, "jungle_scout_product_data")
        assert set(product) == {"asin", "report_date", "created_at", *PRODUCT_COLUMNS}
        for name, (kind, size) in PRODUCT_COLUMNS.items():
            data_type, length, precision, scale = product[name]
            assert data_type == PG_TYPES[kind], name
            if kind == "varchar":
                assert length == size[0], name
            if kind == "decimal":
                assert (precision, scale) == size, name
        sales = columns(db, "jungle_scout_sales_estimate_data")
        assert set(sales) == {"asin", "marketplace", "date", "updated_at", "created_at", *SALES_COLUMNS}
        pk = db.rows("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                     "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
                     "ORDER BY array_position(i.indkey, a.attnum)",
                     (db.prefix + "jungle_scout_sales_estimate_data",))
        assert [r[0] for r in pk] == ["asin", "marketplace", "date"]
