"""The hourly sync end to end: real PostgreSQL (staging + production), the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sandbox.jungle_scout import product_attributes, sales_points
from sync.hourly import run_hourly
from tests.helpers import Db, seed, sync_status

TODAY = dt.datetime.now(dt.UTC).date()
YESTERDAY = TODAY - dt.timedelta(days=1)
YEAR_AGO = YESTERDAY.replace(year=YESTERDAY.year - 1)
NEW = ["B0TEST0001", "B0TEST0002", "B0TEST0003"]
UNKNOWN = "B0ZZUNKNWN"
STALE = "B0STALE001"


def product_rows(db: Db) -> dict[str, tuple]:
    rows = db.rows(
        "SELECT asin, report_date, id, title, price, brand, variants, fee_breakdown, updated_at "
        'FROM "{p}jungle_scout_product_data" ORDER BY asin'
    )
    return {r[0]: r for r in rows}


def sales_of(db: Db, asin: str) -> list[tuple]:
    return db.rows(
        "SELECT date, estimated_units_sold, last_known_price FROM "
        '"{p}jungle_scout_sales_estimate_data" WHERE asin = %s AND marketplace = %s ORDER BY date',
        (asin, "us"),
    )


def expected_sales(asin: str, start: dt.date, end: dt.date, revision: int = 0) -> list[tuple]:
    return [
        (
            dt.date.fromisoformat(p["date"]),
            p["estimated_units_sold"],
            None if p["last_known_price"] is None else Decimal(str(p["last_known_price"])).quantize(Decimal("0.01")),
        )
        for p in sales_points(asin, "us", start, end, revision)
    ]


def status_of(db: Db, asin: str) -> dict:
    return sync_status(db, asin, "product_fetch_attempted_at")


def make_stale(db: Db, asin: str, product_days: int, sales_days: int) -> None:
    db.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
        "product_data_synced_at, sales_estimate_data_synced_at, created_at) VALUES "
        "(%s, true, true, (now() AT TIME ZONE 'UTC') - make_interval(days => %s), "
        "(now() AT TIME ZONE 'UTC') - make_interval(days => %s), "
        "(now() AT TIME ZONE 'UTC') - interval '90 days')",
        (asin, product_days, sales_days),
    )


def test_full_hourly_run_writes_both_databases(migrated, staging, production, sandbox):
    seed(staging, [*NEW, UNKNOWN, STALE])
    make_stale(staging, STALE, product_days=40, sales_days=10)

    status = run_hourly(migrated, "us")
    body = status.as_dict()

    assert body["stopped_early"] is False and body["is_running"] is False
    assert body["new_asins_added"] == 4  # the stale one was tracked already
    assert (body["total_asins_processed"], body["new_asins_synced"], body["stale_asins_synced"]) == (5, 4, 1)
    assert body["successful_product_sync"] == 4
    assert body["successful_sales_sync"] == 4
    assert body["failed_asins"] == 1  # the unknown ASIN
    assert body["total_api_calls"] == 1 + 4  # one product query, one sales query per found ASIN
    assert body["production_pending"] == 0
    assert body["error_summary"]["api_errors"] == 0

    for db in (staging, production):
        products = product_rows(db)
        assert sorted(products) == sorted([*NEW, STALE])
        for asin in [*NEW, STALE]:
            attrs = product_attributes(asin, "us")
            row = products[asin]
            assert row[1] == TODAY and row[2] == f"us/{asin}"
            assert row[3] == attrs["title"] and row[5] == attrs["brand"]
            price = attrs["price"]
            assert row[4] == (None if price is None else Decimal(str(price)).quantize(Decimal("0.01")))
            assert row[6] == attrs["variants"] and row[7] == attrs["fee_breakdown"]
        for asin in NEW:
            assert sales_of(db, asin) == expected_sales(asin, YEAR_AGO, YESTERDAY)
            assert len(sales_of(db, asin)) in (366, 367)
        assert sales_of(db, STALE) == expected_sales(STALE, TODAY - dt.timedelta(days=10), YESTERDAY)
        assert sales_of(db, UNKNOWN) == []

    for asin in NEW:
        state = status_of(staging, asin)
        assert state["has_product_data"] and state["has_sales_data"] and state["error"] is None
        assert state["product_data_synced_at"].date() == TODAY
        assert state["sales_estimate_data_synced_at"].date() == TODAY
    missing = status_of(staging, UNKNOWN)
    assert missing["has_product_data"] is False
    assert missing["error"] == "Product not found in JungleScout API"
    assert missing["product_fetch_attempted_at"].date() == TODAY
    stale = status_of(staging, STALE)
    assert stale["product_data_synced_at"].date() == TODAY and stale["error"] is None

    # sync_status is staging only
    assert production.scalar("SELECT to_regclass(%s) IS NULL", (production.prefix + "jungle_scout_sync_status",))


def test_second_run_takes_next_asins_and_skips_not_found(migrated, staging, production, sandbox):
    seed(staging, [*NEW, UNKNOWN])
    first = run_hourly(migrated, "us")
    assert first.total_asins_processed == 4

    seed(staging, ["B0TEST0004"])
    second = run_hourly(migrated, "us").as_dict()
    assert second["total_asins_processed"] == 1  # only the newly visible ASIN
    assert second["new_asins_added"] == 1
    assert sorted(product_rows(production)) == [*NEW, "B0TEST0004"]

    third = run_hourly(migrated, "us").as_dict()
    assert third["total_asins_processed"] == 0 and third["total_api_calls"] == 0  # all fresh; not-found waits 15 days

    # 16 days later the not-found ASIN is asked again
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_fetch_attempted_at = '
        "product_fetch_attempted_at - interval '16 days' WHERE asin = %s",
        (UNKNOWN,),
    )
    fourth = run_hourly(migrated, "us").as_dict()
    assert fourth["total_asins_processed"] == 1 and fourth["failed_asins"] == 1


def test_not_found_stale_asin_waits_fifteen_days(migrated, staging, sandbox):
    asin = "B0ZZSTALE1"
    seed(staging, [asin])
    make_stale(staging, asin, product_days=40, sales_days=40)
    assert run_hourly(migrated, "us").stale_asins_synced == 1
    state = status_of(staging, asin)
    assert state["has_product_data"] is True and state["error"] == "Product not found in JungleScout API"
    again = run_hourly(migrated, "us")
    assert again.total_asins_processed == 0


def test_same_day_rerun_updates_without_duplicates(migrated, staging, production, sandbox):
    seed(staging, NEW)
    run_hourly(migrated, "us")
    counts = [db.scalar('SELECT count(*) FROM "{p}jungle_scout_sales_estimate_data"') for db in (staging, production)]

    # The API now answers different values; make the ASINs due again, sales 5 days back.
    sandbox.set_faults(revision=1)
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET '
        "product_data_synced_at = (now() AT TIME ZONE 'UTC') - interval '31 days', "
        "sales_estimate_data_synced_at = (now() AT TIME ZONE 'UTC') - interval '5 days'"
    )
    status = run_hourly(migrated, "us")
    assert status.stale_asins_synced == 3 and status.failed_asins == 0

    for db, before in zip((staging, production), counts, strict=True):
        assert db.scalar('SELECT count(*) FROM "{p}jungle_scout_sales_estimate_data"') == before
        assert db.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 3
        for asin in NEW:
            assert product_rows(db)[asin][3] == product_attributes(asin, "us", revision=1)["title"]
            recent = expected_sales(asin, TODAY - dt.timedelta(days=5), YESTERDAY, revision=1)
            older = expected_sales(asin, YEAR_AGO, TODAY - dt.timedelta(days=6), revision=0)
            assert sales_of(db, asin) == older + recent


def test_already_current_sales_make_no_call(migrated, staging, sandbox):
    asin = "B0TEST0009"
    seed(staging, [asin])
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
        "product_data_synced_at, sales_estimate_data_synced_at) VALUES (%s, true, true, "
        "(now() AT TIME ZONE 'UTC') - interval '40 days', (now() AT TIME ZONE 'UTC'))",
        (asin,),
    )
    status = run_hourly(migrated, "us")
    assert status.stale_asins_synced == 1 and status.successful_sales_sync == 1
    assert sandbox.stats()["by_endpoint"].get("sales", 0) == 0
    assert status.total_api_calls == 1


def test_no_sales_data_is_not_an_error(migrated, staging, sandbox):
    seed(staging, ["B0NR000001", "B0NS000001"])
    status = run_hourly(migrated, "us")
    assert status.failed_asins == 0 and status.errors.total == 0
    for asin in ("B0NR000001", "B0NS000001"):
        state = status_of(staging, asin)
        assert state["has_product_data"] is True and state["has_sales_data"] is False
        assert state["sales_estimate_data_synced_at"] is not None


def test_sales_failure_is_reported_and_counted(migrated, staging, production, sandbox):
    seed(staging, NEW)
    sandbox.set_faults(fail_asins={"B0TEST0002": 500})
    status = run_hourly(migrated, "us").as_dict()
    assert status["failed_asins"] == 1 and status["successful_sales_sync"] == 2
    assert status["error_summary"]["api_errors"] == 1
    assert "B0TEST0002" in status["error_summary"]["sample_errors"][0]
    assert status["total_api_calls"] == 1 + 2 + 3  # three attempts for the failing ASIN
    state = status_of(staging, "B0TEST0002")
    assert state["has_product_data"] is True and state["has_sales_data"] is False
    assert "Sales fetch for B0TEST0002 failed" in state["error"]
    assert sales_of(production, "B0TEST0002") == []


def test_status_is_saved_in_staging(migrated, staging, sandbox):
    seed(staging, NEW[:1])
    status = run_hourly(migrated, "us")
    saved = staging.rows('SELECT kind, outcome, status FROM "{p}jssync_runs" WHERE run_id = %s', (status.run_id,))
    assert saved[0][0] == "hourly" and saved[0][1] == "success"
    assert saved[0][2] == json.loads(json.dumps(saved[0][2]))
    assert saved[0][2]["total_asins_processed"] == 1 and saved[0][2]["is_running"] is False


def test_paged_products_and_unasked_rows_dropped(migrated, staging, production, sandbox):
    seed(staging, NEW)
    sandbox.set_faults(page_size=2, extra_results=["B0EXTRA999"])
    status = run_hourly(migrated, "us")
    assert status.successful_product_sync == 3 and status.failed_asins == 0
    assert sorted(product_rows(production)) == NEW  # B0EXTRA999 was answered but never asked for
    assert sandbox.stats()["by_endpoint"]["products"] == 2
