"""Production's other writers (issue 19): the site re-pulls a stale ASIN straight from Jungle Scout
and rewrites its rows in production. Publish, catch-up after an outage and `verify --repair` keep
such a newer row (counted in production_kept_newer, logged); `jssync verify` reports it as
newer_in_production, not drift; an older wrong row is still drift and still repaired; the
comparison holds whether production's columns are timestamp or timestamptz."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from sync.catchup import run_catch_up
from sync.hourly import run_hourly
from sync.manual import run_manual
from sync.verify import run_verify
from tests.helpers import Db, free_port, run_cli, seed

SITE, OTHER, THIRD = "B0OTHER001", "B0OTHER002", "B0OTHER003"
SALES = '"{p}jungle_scout_sales_estimate_data"'
PRODUCTS = '"{p}jungle_scout_product_data"'
SITE_TITLE = "Re-pulled by the site"


@pytest.fixture
def synced(migrated, staging, production, sandbox):
    """Both targets filled by a real hourly sync of three ASINs, in sync."""
    seed(staging, [SITE, OTHER, THIRD])
    status = run_hourly(migrated, "us")
    assert status.total_asins_processed == 3 and status.production_kept_newer == 0
    return migrated


def site_rewrites(production: Db, asin: str, *, stamp: str = "now() AT TIME ZONE 'UTC'") -> None:
    """What the site's product page does: its 10 newest sales rows and its title, rewritten and
    stamped `stamp` (an SQL expression; default now, in UTC)."""
    production.execute(
        f"UPDATE {SALES} SET estimated_units_sold = estimated_units_sold + 1000, updated_at = {stamp} "
        f"WHERE asin = %s AND date > (SELECT max(date) - 10 FROM {SALES} WHERE asin = %s)",
        (asin, asin),
    )
    production.execute(f"UPDATE {PRODUCTS} SET title = %s, updated_at = {stamp} WHERE asin = %s", (SITE_TITLE, asin))


def site_rows(db: Db, asin: str) -> tuple[int, list[str]]:
    """(sales rows the site rewrote, product titles) of `asin` on one target."""
    rewritten = db.scalar(f"SELECT count(*) FROM {SALES} WHERE asin = %s AND estimated_units_sold >= 1000", (asin,))
    titles = [r[0] for r in db.rows(f"SELECT title FROM {PRODUCTS} WHERE asin = %s", (asin,))]
    return rewritten, titles


def rows_of(db: Db, asin: str) -> list[tuple]:
    """Every row of `asin` in both tables, as text with times in UTC (equal when the targets agree,
    whichever timestamp type each target has)."""
    return db.rows(
        f"SELECT 'p', report_date::text, title, (updated_at::timestamptz AT TIME ZONE 'UTC')::text, "
        f"(created_at::timestamptz AT TIME ZONE 'UTC')::text FROM {PRODUCTS} WHERE asin = %s "
        "UNION ALL "
        f"SELECT 's', date::text, estimated_units_sold::text, (updated_at::timestamptz AT TIME ZONE 'UTC')::text, "
        f"(created_at::timestamptz AT TIME ZONE 'UTC')::text FROM {SALES} WHERE asin = %s ORDER BY 1, 2",
        (asin, asin),
    )


def make_due(staging: Db, asins: list[str]) -> None:
    """Product and sales data of `asins` 40 days old: the next hourly run refreshes them."""
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_data_synced_at = product_data_synced_at '
        "- interval '40 days', sales_estimate_data_synced_at = sales_estimate_data_synced_at "
        "- interval '40 days' WHERE asin = ANY(%s)",
        (asins,),
    )


def test_the_catch_up_after_an_outage_keeps_the_sites_newer_rows(synced, staging, production, env, capture_logs):
    make_due(staging, [SITE, OTHER])
    down = dataclasses.replace(synced, production=dataclasses.replace(synced.production, port=free_port()))
    assert run_hourly(down, "us").production_pending == 1  # staging holds the refresh; production is owed it
    site_rewrites(production, SITE)  # meanwhile the site re-pulls SITE: newer than staging's refresh

    logs = capture_logs(json_lines=False)
    caught = run_catch_up(synced).as_dict()
    assert caught["production_catch_up"] == {"ran": True, "applied": 1}
    assert caught["production_kept_newer"] == 11  # 10 sales rows and the product row
    assert caught["parity"] == {"checked_asins": 2, "drifted_asins": []}  # kept rows are not drift
    assert caught["outcome"] == "success"
    assert site_rows(production, SITE) == (10, [SITE_TITLE])
    assert site_rows(staging, SITE)[0] == 0 and SITE_TITLE not in site_rows(staging, SITE)[1]
    assert rows_of(production, OTHER) == rows_of(staging, OTHER)  # the rest of the merge applied
    assert "production kept 10 jungle_scout_sales_estimate_data rows newer than staging's" in logs.text
    assert f"production kept 1 jungle_scout_product_data rows newer than staging's (another writer's copy): {SITE}" in (
        logs.text
    )

    done = run_cli(["verify", "--json"], env)
    assert done.returncode == 0, done.stderr  # nothing else differs
    body = json.loads(done.stdout)
    assert body["in_sync"] is True and body["drift"] == []
    assert {
        (e["table"], e["asin"], e["kind"], e["rows"], tuple(e["columns"])) for e in body["newer_in_production"]
    } == {
        ("jungle_scout_sales_estimate_data", SITE, "newer_in_production", 10, ("estimated_units_sold", "updated_at")),
        ("jungle_scout_product_data", SITE, "newer_in_production", 1, ("title", "updated_at")),
    }
    assert body["production_kept_newer"] == 11


def test_a_publish_keeps_a_newer_row_and_still_updates_older_ones(synced, staging, production):
    # The site re-pulls SITE today: production's row of today is newer than staging's (whose
    # created_at is this morning's first sync). OTHER's title is wrong with its stamps unchanged.
    site_rewrites(production, SITE)
    production.execute(f"UPDATE {PRODUCTS} SET title = 'wrong' WHERE asin = %s", (OTHER,))
    status = run_manual(synced, "product", "us", [SITE, OTHER]).as_dict()
    assert status["production_kept_newer"] == 1 and status["outcome"] == "success"
    assert status["parity"] == {"checked_asins": 2, "drifted_asins": []}
    assert site_rows(production, SITE)[1] == [SITE_TITLE]
    assert rows_of(production, OTHER) == rows_of(staging, OTHER)  # a normal republish still updates

    # jssync's own later data replaces the site's older copy: the site's sales rows of THIRD
    # predate the next sync of THIRD, whose staging merge (and so its stamp) comes after them.
    production.execute(
        f"UPDATE {SALES} SET estimated_units_sold = 1000, updated_at = now() AT TIME ZONE 'UTC' "
        "WHERE asin = %s AND date > current_date - 10",
        (THIRD,),
    )
    make_due(staging, [THIRD])  # its sales are fetched again from 40 days back
    again = run_hourly(synced, "us").as_dict()
    assert again["total_asins_processed"] == 1 and again["production_kept_newer"] == 0
    assert rows_of(production, THIRD) == rows_of(staging, THIRD)


def test_a_full_catch_up_keeps_newer_rows(synced, staging, production, env):
    site_rewrites(production, SITE)
    production.execute(f"UPDATE {SALES} SET estimated_units_sold = 0 WHERE asin = %s", (OTHER,))  # older, wrong
    done = run_cli(["catch-up", "--full", "--json"], env)
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    full = status["production_catch_up"]["full"]
    assert status["production_kept_newer"] == full["kept_newer"] == 11
    assert full["differing_after"] == 0 and status["warnings"] == []  # the site's rows are not a difference
    assert site_rows(production, SITE) == (10, [SITE_TITLE])
    assert rows_of(production, OTHER) == rows_of(staging, OTHER)


def test_repair_keeps_newer_rows_and_repairs_older_wrong_ones(synced, staging, production, env):
    site_rewrites(production, SITE)
    # The site also wrote a day staging has no row of: newer than staging's newest row of SITE.
    production.execute(
        f"INSERT INTO {SALES} (asin, marketplace, date, estimated_units_sold) VALUES (%s, 'us', '2001-01-01', 5)",
        (SITE,),
    )
    # Older wrong rows: a changed value (stamps as staging's), a deleted day, a stale extra day.
    production.execute(
        f"UPDATE {SALES} SET estimated_units_sold = estimated_units_sold + 7 "
        f"WHERE asin = %s AND date = (SELECT max(date) FROM {SALES} WHERE asin = %s)",
        (OTHER, OTHER),
    )
    production.execute(f"DELETE FROM {SALES} WHERE asin = %s AND date = (SELECT max(date) FROM {SALES})", (THIRD,))
    production.execute(
        f"INSERT INTO {SALES} (asin, marketplace, date, estimated_units_sold, updated_at, created_at) "
        "VALUES (%s, 'us', '2001-01-01', 5, '2001-01-02', '2001-01-02')",
        (THIRD,),
    )

    found = run_cli(["verify", "--json"], env)
    assert found.returncode == 1, found.stderr
    body = json.loads(found.stdout)
    assert {(e["asin"], e["kind"], e["rows"]) for e in body["drift"]} == {
        (OTHER, "different", 1),
        (THIRD, "missing", 1),
        (THIRD, "extra", 1),
    }
    assert {(e["table"], e["asin"], e["rows"]) for e in body["newer_in_production"]} == {
        ("jungle_scout_sales_estimate_data", SITE, 11),
        ("jungle_scout_product_data", SITE, 1),
    }
    site_before = rows_of(production, SITE)

    fixed = run_cli(["verify", "--json", "--repair", "--delete-extra"], env)
    assert fixed.returncode == 0, fixed.stderr
    result = json.loads(fixed.stdout)
    assert result["in_sync"] is True and result["repaired"] == 2 and result["production_kept_newer"] == 12
    assert rows_of(production, SITE) == site_before  # never walked back, never deleted
    for asin in (OTHER, THIRD):
        assert rows_of(production, asin) == rows_of(staging, asin)
    after = run_verify(synced)
    assert after["in_sync"] is True and after["drift"] == [] and after["production_kept_newer"] == 12
    assert after["outcome"] == "success"


@pytest.mark.parametrize("zoned", ["production", "both"])
def test_timestamptz_columns_compare_in_utc(migrated, staging, production, sandbox, zoned):
    """Production's stamps as timestamptz (and, for `both`, staging's created_at too, as in the
    owner's database): a sync leaves the targets equal, a newer row is kept and an older one,
    which reads later only on a clock east of UTC, is repaired."""
    for db, columns in ((production, ("updated_at", "created_at")), (staging, ("created_at",))):
        if db is staging and zoned != "both":
            continue
        for table in (PRODUCTS, SALES):
            for column in columns:
                db.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE timestamptz USING {column} AT TIME ZONE 'UTC'"
                )
    seed(staging, [SITE, OTHER])
    status = run_hourly(migrated, "us").as_dict()
    assert status["parity"] == {"checked_asins": 2, "drifted_asins": []}
    assert run_verify(migrated)["in_sync"] is True
    for asin in (SITE, OTHER):
        assert rows_of(production, asin) == rows_of(staging, asin)

    site_rewrites(production, SITE, stamp="now()")
    # OTHER's rows rewritten by a writer in Tokyo an hour before staging's rows were stamped: eight
    # hours later as Tokyo's wall-clock text, one hour older as an instant. Older: drift, repaired.
    staged = staging.scalar(f"SELECT min(updated_at)::timestamptz FROM {SALES} WHERE asin = %s", (OTHER,))
    tokyo = (staged - dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=9))).isoformat()
    production.execute(
        f"UPDATE {SALES} SET estimated_units_sold = 0, updated_at = %s, created_at = %s WHERE asin = %s",
        (tokyo, tokyo, OTHER),
    )
    found = run_verify(migrated)
    assert {(e["asin"], e["kind"]) for e in found["drift"]} == {(OTHER, "different")}
    assert {(e["asin"], e["table"]) for e in found["newer_in_production"]} == {
        (SITE, "jungle_scout_sales_estimate_data"),
        (SITE, "jungle_scout_product_data"),
    }
    repaired = run_verify(migrated, repair=True)
    assert repaired["in_sync"] is True and repaired["production_kept_newer"] == 11
    assert rows_of(production, OTHER) == rows_of(staging, OTHER)
    assert site_rows(production, SITE) == (10, [SITE_TITLE])
