"""Manual syncs: product data only, or sales estimates only, for a list of ASINs or every
visible ASIN (the Go service's /admin/sync-product-database and /admin/sync-jungle-scout), or
both for a list (`jssync sync --asins FILE` without --only: kind `manual`).

Sales ranges follow sync_status as in the hourly sync: an ASIN never synced gets a year ending
yesterday, one synced before gets the days since, and one already current makes no call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from extract import settings
from extract.fetch import AsinWork
from sync import budget
from sync.batch import process_batch
from sync.config import Config
from sync.publishing import catch_up
from sync.run import SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.manual")

BATCH_SIZE = settings.PRODUCT_BATCH_SIZE
KINDS = {"product": "PRODUCT_SYNC", "sales": "SALES_SYNC", "manual": "MANUAL_SYNC"}  # kind -> flow name in the logs
PARTS = {"product": (True, False), "sales": (False, True), "manual": (True, True)}  # kind -> (product, sales)


def run_manual(
    config: Config,
    kind: str,
    marketplace: str = "us",
    asins: Sequence[str] | None = None,
    *,
    on_progress: Callable[[SyncStatus], None] | None = None,
) -> SyncStatus:
    """Sync product data (`kind` product), sales estimates (`kind` sales) or both (`kind`
    manual, a list only) of `asins`, or of every visible ASIN when None; returns the status.
    Listed ASINs are tracked in sync_status first. Raises SyncAlreadyRunning."""
    if kind not in KINDS or (kind == "manual" and asins is None):
        raise ValueError(f"manual sync kind {kind!r} is not allowed: use product or sales (or manual with ASINs)")

    def summary(status: SyncStatus) -> None:
        log.info(
            "%s sync %s: %d ASINs processed, %d product, %d sales, %d failed, %d API calls%s",
            kind,
            "stopped early" if status.stopped_early else "completed",
            status.total_asins_processed,
            status.successful_product_sync,
            status.successful_sales_sync,
            status.failed_asins,
            status.total_api_calls,
            f" ({status.stop_reason})" if status.stop_reason else "",
        )

    with SyncRun(config, kind, marketplace, KINDS[kind], on_progress=on_progress, summary=summary) as run:
        _run(run, kind, None if asins is None else list(dict.fromkeys(asins)))
    return run.status


def _run(run: SyncRun, kind: str, asins: list[str] | None) -> None:
    status = run.status
    catch_up(run)
    fetch_products, fetch_sales = PARTS[kind]
    if asins is None:
        # Every visible ASIN: track the new ones first, as the hourly sync does.
        status.cleaned_up_asins = run.query("cleanup_invisible")[0][0]
        status.new_asins_added = run.query("add_new_visible")[0][0]
    else:
        # Listed ASINs, in the catalogue or not: tracked before any call, kept by cleanup until synced.
        params = {"asins": asins, "wants_product": fetch_products, "wants_sales": fetch_sales, "run_id": status.run_id}
        status.new_asins_added = run.query("listed_asins_track", params)[0][1]
    budget.arm(run)  # JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET: no request past what the month has left
    rows = run.query("manual_asins", {"asins": asins})
    work = [AsinWork(asin, asin_kind, synced) for asin, asin_kind, synced in rows]
    status.total_asins = len(work)
    status.total_batches = -(-len(work) // BATCH_SIZE)
    log.debug("%s sync of %d ASINs in %d batches", kind, len(work), status.total_batches)
    run.save()
    for number, start in enumerate(range(0, len(work), BATCH_SIZE), start=1):
        status.current_batch = number
        process_batch(
            run, work[start : start + BATCH_SIZE], number, fetch_products=fetch_products, fetch_sales=fetch_sales
        )
