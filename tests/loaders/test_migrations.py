"""Migrations: idempotent, checksummed, sync_status on staging only, columns as the Go service's."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from extract.records import PRODUCT_COLUMNS, SALES_COLUMNS
from loaders import migrate as migrate_mod
from loaders.connections import connection
from loaders.execute import run_model
from loaders.merge import publish
from loaders.migrate import MigrationError, checksum, migrate, migration_files
from tests.helpers import Db

PG_TYPES = {
    "text": "text",
    "varchar": "character varying",
    "decimal": "numeric",
    "int": "integer",
    "bool": "boolean",
    "date": "date",
    "ts": "timestamp without time zone",
    "json": "jsonb",
}


def columns(db, table: str) -> dict[str, tuple]:
    rows = db.rows(
        "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale "
        "FROM information_schema.columns WHERE table_name = %s",
        (db.prefix + table,),
    )
    return {r[0]: r[1:] for r in rows}


def test_applying_twice_changes_nothing(migrated, staging, production):
    for settings in (migrated.staging, migrated.production):
        again = migrate(settings)
        assert again.applied == [] and again.already == len(migration_files())


def test_changed_applied_file_is_an_error(migrated, staging):
    ledger = 'UPDATE "{p}jssync_schema_migrations" SET checksum = %s WHERE filename = %s'
    recorded = staging.scalar(
        'SELECT checksum FROM "{p}jssync_schema_migrations" WHERE filename = %s', ("0002_data_tables.sql",)
    )
    staging.execute(ledger, ("0" * 64, "0002_data_tables.sql"))
    try:
        with pytest.raises(MigrationError, match="0002_data_tables.sql was changed after it was applied"):
            migrate(migrated.staging)
    finally:  # the shared prefix keeps its ledger (the schema fingerprint does not cover it)
        staging.execute(ledger, (recorded, "0002_data_tables.sql"))


def test_sync_status_and_functions_on_staging_only(staging, production):
    for name in ("jungle_scout_sync_status", "jssync_runs", "jssync_production_outbox"):
        assert staging.scalar("SELECT to_regclass(%s) IS NOT NULL", (staging.prefix + name,))
        assert production.scalar("SELECT to_regclass(%s) IS NULL", (production.prefix + name,))
    functions = {
        r[0] for r in staging.rows("SELECT proname FROM pg_proc WHERE proname LIKE %s", (staging.prefix + "jssync_%",))
    }
    assert functions >= {
        staging.prefix + f
        for f in ("jssync_cleanup_invisible_v1", "jssync_add_new_visible_v1", "jssync_select_asins_v1")
    }
    assert (
        production.scalar("SELECT count(*) FROM pg_proc WHERE proname LIKE %s", (production.prefix + "jssync_%",)) == 0
    )
    index = staging.rows(
        "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
        (staging.prefix + "idx_js_sync_product_fetch_attempted",),
    )
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
        pk = db.rows(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            (db.prefix + "jungle_scout_sales_estimate_data",),
        )
        assert [r[0] for r in pk] == ["asin", "marketplace", "date"]


# -- the Go service's partial index -------------------------------------------------------------
GO_SYNC_STATUS = """CREATE TABLE "{p}jungle_scout_sync_status" (
    asin VARCHAR(20) PRIMARY KEY, has_product_data BOOLEAN DEFAULT false,
    has_sales_data BOOLEAN DEFAULT false, error TEXT, product_data_synced_at TIMESTAMP,
    sales_estimate_data_synced_at TIMESTAMP, product_fetch_attempted_at TIMESTAMP,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"""
PARTIAL = "%(product_fetch_attempted_at) WHERE (has_product_data = false)"


# The selection-order indexes of 0016 and 0018 (issue 11) are not about the Go service's index.
ORDER_INDEXES = ("idx_js_sync_new_order", "idx_js_sync_stale_order", "idx_js_sync_sales_gap_order")


def sync_status_indexes(db: Db) -> dict[str, str]:
    rows = db.rows(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        (db.prefix + "jungle_scout_sync_status", db.prefix + "jungle_scout_sync_status_pkey"),
    )
    return {name: d for name, d in rows if name not in {db.prefix + o for o in ORDER_INDEXES}}


def test_the_go_services_index_is_not_duplicated(cfg):
    staging = Db(cfg, "staging")
    staging.execute(GO_SYNC_STATUS)
    staging.execute(
        'CREATE INDEX idx_js_sync_product_fetch_attempted ON "{p}jungle_scout_sync_status" '
        "(product_fetch_attempted_at) WHERE has_product_data = false"
    )
    migrate(cfg.staging)
    indexes = sync_status_indexes(staging)
    assert list(indexes) == ["idx_js_sync_product_fetch_attempted"]
    assert (
        staging.scalar(
            "SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            (staging.prefix + "jungle_scout_sync_status", PARTIAL),
        )
        == 1
    )
    assert migrate(cfg.staging).applied == []


def test_an_index_with_another_definition_does_not_count(cfg):
    staging = Db(cfg, "staging")
    staging.execute(GO_SYNC_STATUS)
    staging.execute('CREATE INDEX "{p}by_attempt" ON "{p}jungle_scout_sync_status" (product_fetch_attempted_at)')
    staging.execute(
        'CREATE INDEX "{p}by_attempt_synced" ON "{p}jungle_scout_sync_status" '
        "(product_fetch_attempted_at) WHERE has_product_data = true"
    )
    migrate(cfg.staging)
    indexes = sync_status_indexes(staging)
    ours = staging.prefix + "idx_js_sync_product_fetch_attempted"
    assert sorted(indexes) == sorted([staging.prefix + "by_attempt", staging.prefix + "by_attempt_synced", ours])
    assert indexes[ours].endswith("(product_fetch_attempted_at) WHERE (has_product_data = false)")


# -- the migrator --------------------------------------------------------------------------------
def test_concurrent_migrators_apply_each_file_once(cfg):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(migrate, [cfg.staging, cfg.staging]))
    names = [p.name for p in migration_files()]
    assert sorted(results[0].applied + results[1].applied) == names
    assert results[0].already + results[1].already == len(names)
    staging = Db(cfg, "staging")
    ledger = staging.rows('SELECT filename, checksum FROM "{p}jssync_schema_migrations" ORDER BY filename')
    assert ledger == [(p.name, checksum(p)) for p in migration_files()]


# -- the run history's order (0007) --------------------------------------------------------------
RUNS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 5)]


def add_run(db: Db, run_id: str, started: str, finished: str | None) -> None:
    db.execute(
        'INSERT INTO "{p}jssync_runs" (run_id, kind, marketplace, started_at, finished_at, outcome, '
        "status) VALUES (%s, 'hourly', 'us', %s, %s, %s, %s)",
        (
            run_id,
            started,
            finished,
            "success" if finished else None,
            json.dumps({"run_id": run_id, "kind": "hourly", "is_running": finished is None}),
        ),
    )


def test_runs_sequence_numbers_existing_runs_in_the_order_they_started(cfg, monkeypatch):
    every = migration_files()
    monkeypatch.setattr(migrate_mod, "migration_files", lambda: [p for p in every if p.name < "0007"])
    migrate(cfg.staging)
    staging = Db(cfg, "staging")
    # Inserted out of order, and updated, so storage order is not the order they started in.
    add_run(staging, RUNS[2], "2024-01-15 11:00:00", None)  # same second, running: newest
    add_run(staging, RUNS[0], "2024-01-15 09:00:00", "2024-01-15 09:02:00")
    add_run(staging, RUNS[1], "2024-01-15 11:00:00", "2024-01-15 11:00:00")  # same second, finished
    staging.execute('UPDATE "{p}jssync_runs" SET status = status || \'{"x": 1}\' WHERE run_id = %s', (RUNS[0],))

    monkeypatch.undo()
    assert migrate(cfg.staging).applied[0] == "0007_runs_sequence.sql"  # later ones follow
    seqs = staging.rows('SELECT run_id::text, seq FROM "{p}jssync_runs" ORDER BY seq')
    assert seqs == [(RUNS[0], 1), (RUNS[1], 2), (RUNS[2], 3)]

    # A new run (even one whose clock says earlier) is the newest; updates do not reorder.
    add_run(staging, RUNS[3], "2024-01-15 10:00:00", None)
    staging.execute('UPDATE "{p}jssync_runs" SET finished_at = started_at WHERE run_id = %s', (RUNS[1],))
    assert staging.scalar('SELECT seq FROM "{p}jssync_runs" WHERE run_id = %s', (RUNS[3],)) == 4
    with connection(cfg.staging) as conn, conn.cursor() as cur:
        run_model(cur, "recent_runs", "staging", cfg.staging.prefix, {"last": 10})
        assert [str(r[0]) for r in cur.fetchall()] == [RUNS[3], RUNS[2], RUNS[1], RUNS[0]]
        run_model(cur, "latest_run", "staging", cfg.staging.prefix, {"kinds": ["hourly"]})
        assert str(cur.fetchone()[0]) == RUNS[3]
        run_model(
            cur,
            "previous_outcome",
            "staging",
            cfg.staging.prefix,
            {"kind": "hourly", "marketplace": "us", "run_id": RUNS[3], "started_at": "2024-01-15 12:00:00"},
        )
        assert cur.fetchone()[0] == "success"  # RUNS[1], finished; RUNS[2] is still running


def test_runs_sequence_on_an_empty_history_starts_at_one(cfg):
    migrate(cfg.staging)
    staging = Db(cfg, "staging")
    add_run(staging, RUNS[0], "2024-01-15 09:00:00", None)
    assert staging.scalar('SELECT seq FROM "{p}jssync_runs"') == 1


def test_outbox_rows_pending_from_before_named_keys_still_publish(cfg, monkeypatch):
    """0014 rewrites positional outbox keys as named ones; a merge owed before it still reaches production."""
    every = migration_files()
    monkeypatch.setattr(migrate_mod, "migration_files", lambda: [p for p in every if p.name < "0014"])
    migrate(cfg.staging)
    migrate(cfg.production)
    staging, production = Db(cfg, "staging"), Db(cfg, "production")
    staging.execute(
        'INSERT INTO "{p}jungle_scout_product_data" (asin, report_date, title) '
        "VALUES ('B000000001', '2024-01-15', 'Kettle'), ('B000000002', '2024-01-15', 'Not owed')"
    )
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sales_estimate_data" (asin, marketplace, date, estimated_units_sold) '
        "SELECT 'B000000001', 'us', d::date, 7 FROM generate_series('2024-01-10'::date, '2024-01-14', "
        "'1 day') AS d"
    )
    staging.execute(
        'INSERT INTO "{p}jssync_production_outbox" (run_id, load_id, product_keys, sales_keys) '
        "VALUES (gen_random_uuid(), '1.0', %s, %s)",
        (json.dumps([["B000000001", "2024-01-15"]]), json.dumps([["B000000001", "us", "2024-01-11", "2024-01-13"]])),
    )

    monkeypatch.undo()
    assert migrate(cfg.staging).applied[:1] == ["0014_outbox_named_keys.sql"]
    migrate(cfg.production)
    assert staging.rows('SELECT product_keys, sales_keys FROM "{p}jssync_production_outbox"') == [
        (
            [{"asin": "B000000001", "report_date": "2024-01-15"}],
            [{"asin": "B000000001", "marketplace": "us", "first_date": "2024-01-11", "last_date": "2024-01-13"}],
        )
    ]

    with connection(cfg.staging) as conn:
        result = publish(conn, cfg.staging.prefix, cfg.production)
    assert result.error is None and len(result.applied) == 1
    assert production.rows('SELECT asin, title FROM "{p}jungle_scout_product_data"') == [("B000000001", "Kettle")]
    assert production.rows('SELECT date::text FROM "{p}jungle_scout_sales_estimate_data" ORDER BY date') == [
        ("2024-01-11",),
        ("2024-01-12",),
        ("2024-01-13",),
    ]
