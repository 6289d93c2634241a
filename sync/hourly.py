"""The hourly sync: up to 100 ASINs, new ones first, then stale ones (the Cloud Run Job)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from extract import settings
from extract.fetch import AsinWork
from sync.batch import process_batch
from sync.config import Config
from sync.publishing import catch_up
from sync.run import SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.hourly")
FLOW = "HOURLY_SYNC"


def _step(name: str, message: str, *args: object) -> None:
    log.debug(message, *args, extra={"step": name})


def run_hourly(config: Config, marketplace: str = "us", *, debug: bool = False,
               limit: int = settings.HOURLY_SYNC_ASIN_LIMIT,
               on_progress: Callable[[SyncStatus], None] | None = None) -> SyncStatus:
    """Run one hourly sync to completion and return its status (never raises for data errors).

    `debug` shows this run's step log (only this run's). Raises SyncAlreadyRunning when another
    sync holds the lock."""
    with SyncRun(config, "hourly", marketplace, FLOW, on_progress=on_progress, debug=debug,
                 summary=_summary) as run:
        if debug:
            log.debug("========== DEBUG MODE ENABLED ==========")
        log.debug("Starting hourly sync with marketplace=%s", marketplace)
        _run(run, marketplace, limit)
    return run.status


def _run(run: SyncRun, marketplace: str, limit: int) -> None:
    status = run.status
    staging = run.config.staging
    log.debug("========== HOURLY SYNC STARTED ==========")
    log.debug("Marketplace: %s", marketplace)
    log.debug("Debug mode: %s", str(run.debug).lower())

    catch_up(run)

    log.debug("---------- STEP 1: CLEANUP ----------")
    log.debug("Removing ASINs with product_visibility=false from sync_status...")
    _step("Cleanup", "Product table: %s", staging.prefix + "product")
    _step("Cleanup", "Staging sync table: %s", staging.prefix + "jungle_scout_sync_status")
    status.cleaned_up_asins = run.query("cleanup_invisible")[0][0]
    _step("Cleanup", "Staging: %d rows deleted", status.cleaned_up_asins)
    _step("Cleanup", "Production: nothing to delete (sync_status lives in staging only)")
    log.debug("Cleanup complete: %d ASINs removed", status.cleaned_up_asins)

    log.debug("---------- STEP 2: ADD NEW ASINs ----------")
    log.debug("Adding new visible ASINs to sync_status...")
    status.new_asins_added = run.query("add_new_visible")[0][0]
    _step("AddNew", "Staging: %d new ASINs inserted", status.new_asins_added)
    log.debug("New ASINs added to sync_status: %d", status.new_asins_added)

    log.debug("---------- STEP 3: SELECT ASINs ----------")
    log.debug("Selecting up to %d ASINs (priority: new first, then stale >%d days)...", limit,
              settings.STALE_DATA_THRESHOLD_DAYS)
    rows = run.query("select_asins", {"limit": limit, "stale_days": settings.STALE_DATA_THRESHOLD_DAYS,
                                      "retry_days": settings.PRODUCT_NOT_FOUND_RETRY_DAYS})
    work = [AsinWork(asin, kind, synced) for asin, kind, synced in rows]
    new = [w.asin for w in work if w.kind == "new"]
    _step("Select", "Found %d NEW ASINs", len(new))
    _step("Select", "Found %d STALE ASINs", len(work) - len(new))
    log.debug("Selected %d ASINs total:", len(work))
    log.debug("  - New ASINs: %d", len(new))
    log.debug("  - Stale ASINs: %d", len(work) - len(new))
    if new:
        log.debug("  - New ASIN list: [%s]", " ".join(new))
    run.save()
    if not work:
        log.debug("No ASINs due: all data is fresh")
        return

    log.debug("---------- STEP 4 & 5: SYNC PRODUCT & SALES DATA ----------")
    _step("SyncASINs", "Starting sync for %d ASINs", len(work))
    outcomes = process_batch(run, work, 1)
    not_found = [o.asin for o in outcomes if o.product_status == "not_found"]
    for asin in not_found:
        _step("NotFound", "Marked ASIN %s as 'product not found' (will retry in %d days)", asin,
              settings.PRODUCT_NOT_FOUND_RETRY_DAYS)
    _step("SyncASINs", "Product sync summary: %d success, %d failed, %d not found",
          status.successful_product_sync,
          sum(o.product_status in ("failed", "invalid") for o in outcomes), len(not_found))
    _step("SyncASINs", "Sales sync summary: %d successful, %d failed", status.successful_sales_sync,
          sum(o.sales_status == "failed" for o in outcomes))
    _step("SyncASINs", "Total API calls made: %d", run.usage.total)


def _summary(status: SyncStatus) -> None:
    log.debug("========== HOURLY SYNC %s ==========", "STOPPED" if status.stopped_early else "COMPLETED")
    log.debug("Duration: %.3fs", status.duration())
    log.info("hourly sync %s: %d ASINs processed (%d new, %d stale), %d product, %d sales, %d failed, "
             "%d API calls, %d merges pending for production%s",
             "stopped early" if status.stopped_early else "completed", status.total_asins_processed,
             status.new_asins_synced, status.stale_asins_synced, status.successful_product_sync,
             status.successful_sales_sync, status.failed_asins, status.total_api_calls,
             status.production_pending, f" ({status.stop_reason})" if status.stop_reason else "")
