"""The hourly sync: up to 100 ASINs (or `auto`: what the plan allows), new ones first, then sales
gaps, then stale ones (the Cloud Run Job). Batches above 100 ASINs are merged MERGE_BATCH_ASINS at a
time so memory stays flat however many a run takes."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from extract.budget import SPENT_MESSAGE
from extract.fetch import SALES_GAP, AsinWork
from sync import budget as planning
from sync import freshness
from sync.batch import process_batch
from sync.config import Config
from sync.publishing import catch_up
from sync.run import SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.hourly")
FLOW = "HOURLY_SYNC"
MERGE_BATCH_ASINS = 1000  # ASINs fetched (10 product calls, sales pooled) and merged at a time


def _step(name: str, message: str, *args: object) -> None:
    log.debug(message, *args, extra={"step": name})


def run_hourly(
    config: Config,
    marketplace: str = "us",
    *,
    debug: bool = False,
    limit: int | str | None = None,
    on_progress: Callable[[SyncStatus], None] | None = None,
) -> SyncStatus:
    """Run one hourly sync to completion and return its status (never raises for data errors).
    `limit` (a positive integer or "auto") overrides HOURLY_SYNC_ASIN_LIMIT.

    `debug` shows this run's step log (only this run's). Raises SyncAlreadyRunning when another
    sync holds the lock."""
    with SyncRun(
        config,
        "hourly",
        marketplace,
        FLOW,
        on_progress=on_progress,
        debug=debug,
        summary=_summary,
        allowance=config.sync_run_time_limit_seconds,
    ) as run:
        if debug:
            log.debug("========== DEBUG MODE ENABLED ==========")
        log.debug("Starting hourly sync with marketplace=%s", marketplace)
        try:
            _run(run, marketplace, limit)
        finally:  # freshness and budget figures need the run's staging connection, still open here
            _finish(run)
    return run.status


def _run(run: SyncRun, marketplace: str, limit: int | str | None) -> None:
    status = run.status
    cfg = run.config
    staging = cfg.staging
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
    plan = _plan(run, limit)
    if plan is None:
        return
    log.debug(
        "Selecting up to %d ASINs (priority: new first, then sales gaps, then stale >%d days)...",
        plan.limit,
        cfg.stale_data_threshold_days,
    )
    rows = (
        run.query(
            "select_asins",
            {
                "limit": plan.limit,
                "stale_days": cfg.stale_data_threshold_days,
                "retry_days": cfg.product_not_found_retry_days,
                "now": plan.select_now,
            },
        )
        if plan.limit > 0
        else []
    )
    work = [AsinWork(asin, kind, synced) for asin, kind, synced in rows]
    new = [w.asin for w in work if w.kind == "new"]
    gaps = [w.asin for w in work if w.kind == SALES_GAP]
    stale = len(work) - len(new) - len(gaps)
    _step("Select", "Found %d NEW ASINs", len(new))
    _step("Select", "Found %d SALES-GAP ASINs", len(gaps))
    _step("Select", "Found %d STALE ASINs", stale)
    log.debug("Selected %d ASINs total:", len(work))
    log.debug("  - New ASINs: %d", len(new))
    log.debug("  - Sales-gap ASINs: %d (sales only)", len(gaps))
    log.debug("  - Stale ASINs: %d", stale)
    if new:
        log.debug("  - New ASIN list: [%s]", " ".join(new))
    if gaps:
        log.debug("  - Sales-gap ASIN list: [%s]", " ".join(gaps))
    run.save()
    if not work:
        log.debug("No ASINs due: all data is fresh")
        return

    log.debug("---------- STEP 4 & 5: SYNC PRODUCT & SALES DATA ----------")
    _step("SyncASINs", "Starting sync for %d ASINs", len(work))
    outcomes = _process(run, work)
    not_found = [o.asin for o in outcomes if o.product_status == "not_found"]
    for asin in not_found:
        _step(
            "NotFound",
            "Marked ASIN %s as 'product not found' (will retry in %d days)",
            asin,
            cfg.product_not_found_retry_days,
        )
    _step(
        "SyncASINs",
        "Product sync summary: %d success, %d failed, %d not found",
        status.successful_product_sync,
        sum(o.product_status in ("failed", "invalid") for o in outcomes),
        len(not_found),
    )
    _step(
        "SyncASINs",
        "Sales sync summary: %d successful, %d failed",
        status.successful_sales_sync,
        sum(o.sales_status == "failed" for o in outcomes),
    )
    _step("SyncASINs", "Total API calls made: %d", run.usage.total)


def _plan(run: SyncRun, limit: int | str | None) -> planning.RunPlan | None:
    """This run's limit from the configuration and the month's budget; arms the budget gate.
    None when the budget is spent: the run then makes no call and says so."""
    cfg, status = run.config, run.status
    state = planning.arm(run)
    if state.spent_out:
        status.warnings.append(SPENT_MESSAGE)
        log.warning(
            "%s: %d of %d requests used this month; no API call this run", SPENT_MESSAGE, state.spent, state.monthly
        )
        return None
    rpa = planning.DEFAULT_REQUESTS_PER_ASIN
    if limit == "auto" or (limit is None and cfg.hourly_sync_asin_limit == "auto") or state.monthly:
        rpa = float(run.query("plan_requests_per_asin")[0][0] or rpa)
        rpa = max(rpa, planning.DEFAULT_REQUESTS_PER_ASIN)
    # What is left of the allowance to fetch in: the catch-up and the steps so far count against it.
    seconds = math.floor(run.stop.seconds_left())
    plan = planning.plan_run(cfg, state, rpa, status.started_at, limit=limit, seconds=seconds)
    status.plan = {
        "limit": plan.limit,
        "auto": plan.auto,
        "capped_by": plan.capped_by,
        "requests_per_asin": round(rpa, 4),
    }
    if plan.auto:
        status.plan["fetch_seconds"] = seconds
    log.debug(
        "Plan: %d ASINs (%s, capped by %s; %.3f requests per ASIN)",
        plan.limit,
        "auto" if plan.auto else "fixed",
        plan.capped_by,
        rpa,
    )
    return plan


def _process(run: SyncRun, work: list[AsinWork]) -> list:
    """Fetch and merge `work` MERGE_BATCH_ASINS at a time; stop starting batches once the run's
    time allowance is used up (a batch itself stops starting requests then) or the budget
    refused a request."""
    outcomes: list = []
    for number, start in enumerate(range(0, len(work), MERGE_BATCH_ASINS), start=1):
        if run.time_up(len(work) - start):
            break
        chunk = process_batch(run, work[start : start + MERGE_BATCH_ASINS], number)
        if number * MERGE_BATCH_ASINS >= len(work):
            run.time_up(0)  # the last batch, cut short by the deadline: say what it left
        # Only what the report needs is kept: the per-ASIN outcomes of a batch are dropped.
        outcomes.extend(o for o in chunk if o.product_status == "not_found" or o.failed)
        gate = run.budget
        if gate is not None and gate.spent_out:
            if SPENT_MESSAGE not in run.status.warnings:
                run.status.warnings.append(SPENT_MESSAGE)
            break
    return outcomes


def _finish(run: SyncRun) -> None:
    """The catalogue's freshness and the month's budget for the status (best effort)."""
    cfg, status = run.config, run.status
    if status.budget:
        spent = status.budget["spent"] + run.usage.total
        status.budget = planning.BudgetState(cfg.monthly_request_budget, spent).as_dict()
    if run.staging is None or run.staging.closed:
        return
    try:
        fig = freshness.figures(
            run.staging, cfg.staging.prefix, cfg.stale_data_threshold_days, cfg.product_not_found_retry_days
        )
    except Exception as exc:  # a report figure must not fail the sync
        log.warning("could not read the freshness figures: %s", type(exc).__name__)
        return
    status.freshness = fig
    warning = freshness.sla_warning(fig, cfg.freshness_sla_percent)
    if warning:
        status.warnings.append(warning)
    if cfg.monthly_request_budget is not None and status.plan:
        rpa = status.plan["requests_per_asin"]
        best = planning.best_threshold_days(
            fig["visible_asins"],
            rpa,
            planning.per_run_capacity(cfg, rpa),
            cfg.sync_runs_per_day,
            cfg.monthly_request_budget,
        )
        status.plan["best_threshold_days"] = best
        if best is None or best > cfg.stale_data_threshold_days:
            status.warnings.append(
                f"the monthly budget of {cfg.monthly_request_budget} requests holds a "
                f"threshold of {best} days, not {cfg.stale_data_threshold_days}"
            )


def _summary(status: SyncStatus) -> None:
    usage = status.api_usage or {}
    if usage.get("lowest_rate_per_minute", 0) < usage.get("configured_rate_per_minute", 0):
        log.warning(
            "API rate lowered to %g/min by 429 answers (configured %g/min); the run ended at %g/min",
            usage["lowest_rate_per_minute"],
            usage["configured_rate_per_minute"],
            usage["effective_rate_per_minute"],
        )
    log.debug("========== HOURLY SYNC %s ==========", "STOPPED" if status.stopped_early else "COMPLETED")
    log.debug("Duration: %.3fs", status.duration())
    log.info(
        "hourly sync %s: %d ASINs processed (%d new, %d sales gaps, %d stale), %d product, "
        "%d sales, %d failed, %d API calls, %d merges pending for production%s",
        "stopped early" if status.stopped_early else "completed",
        status.total_asins_processed,
        status.new_asins_synced,
        status.sales_gap_asins_synced,
        status.stale_asins_synced,
        status.successful_product_sync,
        status.successful_sales_sync,
        status.failed_asins,
        status.total_api_calls,
        status.production_pending,
        f" ({status.stop_reason})" if status.stop_reason else "",
    )
