"""Staging-only (issue 19 item 2): with DB_PROD_HOST empty no production step runs, and once
production is configured one command, `jssync catch-up --full`, brings it level (parity proven by
`jssync verify`). Real PostgreSQL, the sandbox API, the command line in-process."""

from __future__ import annotations

import json

from api import create_app
from loaders import level
from loaders.render import render
from loaders.verify import TABLES, Reader, compare_table
from sync import config as config_mod
from sync import report
from tests.helpers import Db, connect, run_cli, seed

ASINS = ["B0SOLO0001", "B0SOLO0002", "B0SOLO0003"]


def staging_only(env: dict[str, str]) -> dict[str, str]:
    """`env` with production unconfigured: DB_PROD_HOST empty, the other DB_PROD_* unset."""
    return {**{k: v for k, v in env.items() if not k.startswith("DB_PROD")}, "DB_PROD_HOST": ""}


def tables_of(db: Db) -> list[str]:
    return [r[0] for r in db.rows("SELECT tablename FROM pg_tables WHERE starts_with(tablename, %s)", (db.prefix,))]


def test_staging_only_then_production_configured_and_brought_level(env, cfg, webhook):
    solo = {**staging_only(env), "DISCORD_WEBHOOK_URL": webhook.url}
    staging, production = Db(cfg, "staging"), Db(cfg, "production")
    try:
        migrated = run_cli(["migrate"], solo)
        assert migrated.returncode == 0, migrated.stderr
        assert "production: not migrated; production is disabled (DB_PROD_HOST is empty)" in migrated.stdout
        assert tables_of(production) == []  # no connection, no migration
        with connect(cfg, "staging") as conn, conn.cursor() as cur:
            cur.execute(render("fixtures/product.sql", "staging", cfg.staging.prefix))
        seed(staging, ASINS)

        hourly = run_cli(["hourly", "--json"], solo)
        assert hourly.returncode == 0, hourly.stderr
        status = json.loads(hourly.stdout)
        assert status["production"] == "disabled" and status["outcome"] == "success"
        assert (status["successful_product_sync"], status["production_pending"]) == (3, 0)
        assert staging.scalar('SELECT count(*) FROM "{p}jssync_production_outbox"') == 0  # nothing piles up
        assert tables_of(production) == []
        fields = {f["name"]: f["value"] for f in webhook.payloads[-1]["embeds"][0]["fields"]}
        assert fields["Production"] == "staging only"

        said = run_cli(["verify"], solo)
        assert said.returncode == 0 and "there is no production to verify" in said.stdout
        assert "jssync catch-up --full" in said.stdout
        refused = run_cli(["catch-up", "--full"], solo)
        assert refused.returncode == 2 and "set DB_PROD_*" in refused.stderr
        answer = create_app(config_mod.load(solo, needs=["db", "api", "http"])).test_client().get("/test-db")
        assert answer.status_code == 200
        assert answer.get_json() == {
            "message": "Staging answers; production is disabled (DB_PROD_HOST is empty): staging only",
            "staging": "ok",
            "production": "disabled",
        }

        # Production configured later: every sync warns until the one command has run.
        both = {**env, "DISCORD_WEBHOOK_URL": webhook.url}
        warned = json.loads(run_cli(["hourly", "--json"], both).stdout)  # nothing due; production not migrated
        assert any("jssync catch-up --full" in w for w in warned["warnings"]), warned["warnings"]
        assert warned["production"] == "enabled"
        assert webhook.payloads[-1]["embeds"][0]["color"] == report.YELLOW

        leveled = run_cli(["catch-up", "--full", "--json"], both)
        assert leveled.returncode == 0, leveled.stderr
        full = json.loads(leveled.stdout)["production_catch_up"]["full"]
        assert full["differing_after"] == 0 and full["rows"] == staging.scalar(
            'SELECT (SELECT count(*) FROM "{p}jungle_scout_product_data")'
            ' + (SELECT count(*) FROM "{p}jungle_scout_sales_estimate_data")'
        )
        assert "catch-up --full: jungle_scout_sales_estimate_data 3 of 3 ASINs" in leveled.stderr  # progress

        verify = run_cli(["verify", "--json"], both)
        assert verify.returncode == 0 and json.loads(verify.stdout)["in_sync"] is True
        after = json.loads(run_cli(["hourly", "--json"], both).stdout)
        assert after["warnings"] == [] and after["outcome"] == "success"
    finally:
        staging.close()
        production.close()


def test_level_copies_what_differs_in_batches_and_leaves_production_equal(migrated, staging, production):
    # 30 ASINs of 40 sales days and 2 product days on staging; production holds a third of them,
    # one row of which is wrong (and older than staging's).
    staging.execute(
        'INSERT INTO "{p}jungle_scout_product_data" (asin, report_date, title, updated_at, created_at) '
        "SELECT 'B0LVL' || lpad(a::text, 5, '0'), DATE '2026-01-01' + d, 'title ' || a, "
        "TIMESTAMP '2026-01-02', TIMESTAMP '2026-01-02' FROM generate_series(1, 30) a, generate_series(0, 1) d;"
        'INSERT INTO "{p}jungle_scout_sales_estimate_data" (asin, marketplace, date, estimated_units_sold, '
        "updated_at, created_at) SELECT 'B0LVL' || lpad(a::text, 5, '0'), 'us', DATE '2026-01-01' + d, a + d, "
        "TIMESTAMP '2026-01-02', TIMESTAMP '2026-01-02' FROM generate_series(1, 30) a, generate_series(0, 39) d"
    )
    production.execute(
        'INSERT INTO "{p}jungle_scout_sales_estimate_data" (asin, marketplace, date, estimated_units_sold, '
        "updated_at, created_at) SELECT 'B0LVL' || lpad(a::text, 5, '0'), 'us', DATE '2026-01-01' + d, "
        "CASE WHEN a = 1 AND d = 0 THEN 999 ELSE a + d END, TIMESTAMP '2026-01-02' - "
        "CASE WHEN a = 1 AND d = 0 THEN interval '1 day' ELSE interval '0' END, TIMESTAMP '2026-01-02' - "
        "CASE WHEN a = 1 AND d = 0 THEN interval '1 day' ELSE interval '0' END "
        "FROM generate_series(1, 10) a, generate_series(0, 39) d"
    )
    seen: list[tuple[str, int, int]] = []
    done = level.level(
        migrated.staging,
        migrated.production,
        batch_rows=200,
        on_batch=lambda p: seen.append((p.table, p.asins_done, p.rows)),
    )
    # Products: all 30 ASINs differ (production has none); sales: 20 missing and the wrong one.
    assert done.tables == {
        "jungle_scout_product_data": {"asins": 30, "rows": 60},
        "jungle_scout_sales_estimate_data": {"asins": 21, "rows": 21 * 40},
    }
    sales_batches = [s for s in seen if s[0] == "jungle_scout_sales_estimate_data"]
    assert len(sales_batches) == 5  # 200 rows (5 ASINs of 40 days) a batch: 21 ASINs
    assert [s[1] for s in sales_batches] == sorted(s[1] for s in sales_batches)
    assert sales_batches[-1][1] == 21 and seen[-1][2] == done.rows == 60 + 21 * 40
    assert level.still_differing(migrated.staging, migrated.production) == 0
    s, p = Reader(migrated.staging), Reader(migrated.production)
    try:
        assert all(not compare_table(s, p, table).entries() for table in TABLES)
    finally:
        s.close()
        p.close()
