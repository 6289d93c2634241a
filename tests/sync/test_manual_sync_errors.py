"""sync_status.error across manual syncs (real PostgreSQL, the sandbox over HTTP): a sales-only
sync says nothing about the product, so it keeps a "Product not found" error it did not replace
with one of its own; otherwise the newest error wins, and a clean product sync clears it."""

from __future__ import annotations

from extract.settings import NOT_FOUND_ERROR
from sync.hourly import run_hourly
from sync.manual import run_manual
from tests.helpers import Db, seed, sync_status


def state(db: Db, asin: str) -> dict:
    return sync_status(db, asin, "product_fetch_attempted_at", "created_at", "updated_at")


def test_sales_only_sync_keeps_product_not_found(migrated, staging, production, sandbox):
    missing, fresh = "B0MERR0001", "B0MERR0002"
    seed(staging, [missing, fresh])

    # The product database does not know `missing`: the product-only sync records that.
    sandbox.set_faults(unknown_asins=[missing])
    product = run_manual(migrated, "product", "us", [missing])
    assert (product.total_asins_processed, product.failed_asins) == (1, 1)
    before = state(staging, missing)
    assert before["error"] == NOT_FOUND_ERROR and before["has_product_data"] is False
    assert before["product_fetch_attempted_at"] is not None and before["has_sales_data"] is False

    # The sales side knows it. One sales-only batch: `missing` has a row from the product sync,
    # `fresh` one the listing gave it before the batch (as every listed ASIN gets).
    sandbox.set_faults(unknown_asins=[])
    sales = run_manual(migrated, "sales", "us", [missing, fresh])
    assert (sales.total_asins_processed, sales.successful_sales_sync, sales.failed_asins) == (2, 2, 0)
    after = state(staging, missing)
    assert after["error"] == NOT_FOUND_ERROR
    assert after["has_product_data"] is False and after["has_sales_data"] is True
    assert after["sales_estimate_data_synced_at"] is not None
    assert after["product_fetch_attempted_at"] == before["product_fetch_attempted_at"]
    assert after["product_data_synced_at"] is None
    assert after["created_at"] == before["created_at"] and after["updated_at"] >= before["updated_at"]

    new = state(staging, fresh)
    assert new["error"] is None and (new["has_product_data"], new["has_sales_data"]) == (False, True)
    assert new["sales_estimate_data_synced_at"] is not None and new["product_fetch_attempted_at"] is None
    assert (
        production.scalar(
            'SELECT count(DISTINCT asin) FROM "{p}jungle_scout_sales_estimate_data" WHERE asin = ANY(%s)',
            ([missing, fresh],),
        )
        == 2
    )

    # A product sync that finds it is the newest word: the error is cleared.
    found = run_manual(migrated, "product", "us", [missing])
    assert (found.successful_product_sync, found.failed_asins) == (1, 0)
    cleared = state(staging, missing)
    assert cleared["error"] is None and cleared["has_product_data"] is True
    assert cleared["has_sales_data"] is True  # has_* never turn false again
    assert cleared["product_data_synced_at"] is not None
    assert cleared["sales_estimate_data_synced_at"] == after["sales_estimate_data_synced_at"]


def test_a_sales_error_of_its_own_replaces_the_stored_error(migrated, staging, sandbox):
    unknown = "B0ZZMERR01"  # unknown to both endpoints: the sales query answers 404
    seed(staging, [unknown])
    run_manual(migrated, "product", "us", [unknown])
    assert state(staging, unknown)["error"] == NOT_FOUND_ERROR

    sales = run_manual(migrated, "sales", "us", [unknown])
    assert sales.failed_asins == 1
    after = state(staging, unknown)
    assert after["error"].startswith(f"Sales fetch for {unknown}") and after["error"] != NOT_FOUND_ERROR
    assert after["has_sales_data"] is False and after["sales_estimate_data_synced_at"] is None


def test_hourly_sync_still_overwrites_the_error(migrated, staging, sandbox):
    asin = "B0MERR0003"
    seed(staging, [asin])
    sandbox.set_faults(unknown_asins=[asin])
    run_manual(migrated, "product", "us", [asin])
    assert state(staging, asin)["error"] == NOT_FOUND_ERROR

    # The hourly sync asks for product data too: finding it now clears the error.
    sandbox.set_faults(unknown_asins=[])
    staging.execute(
        'UPDATE "{p}jungle_scout_sync_status" SET product_fetch_attempted_at = '
        "product_fetch_attempted_at - interval '16 days' WHERE asin = %s",
        (asin,),
    )
    status = run_hourly(migrated, "us")
    assert (status.total_asins_processed, status.failed_asins) == (1, 0)
    after = state(staging, asin)
    assert after["error"] is None and after["has_product_data"] is True and after["has_sales_data"] is True
