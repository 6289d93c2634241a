"""One bad number from the API fails its own ASIN, never the run: the rest of the batch is merged,
and the bad ASIN is not asked for again before the retry period (15 days) has passed."""

from __future__ import annotations

from sync.hourly import run_hourly
from tests.helpers import Db, seed, sync_status

GOOD = ["B0GOOD0001", "B0GOOD0002", "B0GOOD0003"]
INF, NAN = float("inf"), float("nan")

# ASIN -> (attributes the API sends for it, the field its error must name)
BAD_PRODUCTS = {
    "B0BADREV01": ({"reviews": INF}, "reviews"),  # sent as the JSON token 1e400
    "B0BADNAN01": ({"reviews": NAN}, "reviews"),  # sent as NaN
    "B0BADUNI01": ({"approximate_30_day_units_sold": INF}, "approximate_30_day_units_sold"),
    "B0BADRAT01": ({"rating": NAN}, "rating"),
    "B0BADTS001": ({"updated_at": "0001-01-01T00:00:00+01:00"}, "updated_at"),  # overflows in UTC
    "B0BADRAW01": ({"not_a_column": INF}, "not_a_column"),  # only the raw copy holds it
}

# ASIN -> (keys of every sales point, the field its error must name)
BAD_SALES = {
    "B0BADSAL01": ({"estimated_units_sold": INF}, "estimated_units_sold"),
    "B0BADSAL02": ({"last_known_price": NAN}, "last_known_price"),
}


def status_of(db: Db, asin: str) -> dict:
    return sync_status(db, asin, "product_fetch_attempted_at")


def asins_in(db: Db, table: str) -> set[str]:
    return {r[0] for r in db.rows(f'SELECT DISTINCT asin FROM "{{p}}{table}"')}


def test_bad_product_values_fail_their_asin_only(migrated, staging, production, sandbox):
    seed(staging, [*GOOD, *BAD_PRODUCTS])
    sandbox.set_faults(bad_values={asin: attrs for asin, (attrs, _) in BAD_PRODUCTS.items()})

    status = run_hourly(migrated, "us").as_dict()

    assert status["stopped_early"] is False and status["stop_reason"] == ""
    assert status["total_asins_processed"] == len(GOOD) + len(BAD_PRODUCTS)
    assert status["successful_product_sync"] == len(GOOD) == status["successful_sales_sync"]
    assert status["failed_asins"] == len(BAD_PRODUCTS)
    summary = status["error_summary"]
    assert summary["parse_errors"] == len(BAD_PRODUCTS)
    assert (summary["api_errors"], summary["db_errors"], summary["other_errors"]) == (0, 0, 0)
    assert sandbox.stats()["by_endpoint"]["products"] == 1  # one batch: the bad ones were in it

    for db in (staging, production):
        assert asins_in(db, "jungle_scout_product_data") == set(GOOD)
        assert asins_in(db, "jungle_scout_sales_estimate_data") == set(GOOD)

    for asin in GOOD:
        state = status_of(staging, asin)
        assert state["has_product_data"] and state["has_sales_data"] and state["error"] is None
    for asin, (_, field) in BAD_PRODUCTS.items():
        state = status_of(staging, asin)
        assert state["has_product_data"] is False and state["has_sales_data"] is False
        assert asin in state["error"] and field in state["error"], state["error"]
        assert state["product_fetch_attempted_at"] is not None  # not asked again for 15 days

    again = run_hourly(migrated, "us").as_dict()
    assert again["stopped_early"] is False
    assert again["total_asins_processed"] == 0 and again["total_api_calls"] == 0


def test_bad_sales_values_fail_the_sales_of_their_asin_only(migrated, staging, production, sandbox):
    seed(staging, [*GOOD, *BAD_SALES])
    sandbox.set_faults(bad_sales_values={asin: point for asin, (point, _) in BAD_SALES.items()})

    status = run_hourly(migrated, "us").as_dict()

    assert status["stopped_early"] is False and status["stop_reason"] == ""
    assert status["total_asins_processed"] == len(GOOD) + len(BAD_SALES)
    assert status["successful_product_sync"] == len(GOOD) + len(BAD_SALES)
    assert status["successful_sales_sync"] == len(GOOD)
    assert status["failed_asins"] == len(BAD_SALES)
    assert status["error_summary"]["parse_errors"] == len(BAD_SALES)
    assert status["error_summary"]["api_errors"] == 0

    for db in (staging, production):
        assert asins_in(db, "jungle_scout_product_data") == {*GOOD, *BAD_SALES}
        assert asins_in(db, "jungle_scout_sales_estimate_data") == set(GOOD)

    for asin in GOOD:
        state = status_of(staging, asin)
        assert state["has_sales_data"] and state["error"] is None
    for asin, (_, field) in BAD_SALES.items():
        state = status_of(staging, asin)
        assert state["has_product_data"] is True and state["has_sales_data"] is False
        assert state["sales_estimate_data_synced_at"] is None
        assert asin in state["error"] and field in state["error"], state["error"]
