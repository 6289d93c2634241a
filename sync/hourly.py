"""The hourly sync: up to 100 ASINs (or `auto`: what the plan allows), new ones first, then sales
gaps, then stale ones (the Cloud Run Job). Batches above 100 ASINs are merged MERGE_BATCH_ASINS at a
time so memory stays flat however many a run takes."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from extract.fetch import FAMILY, SALES_GAP, AsinWork
from sync import freshness, pacing
from sync.config import Config
from sync.flow import Flow, run_flow
from sync.run import SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.hourly")
FLOW = "HOURLY_SYNC"
MERGE_BATCH_ASINS = 1000  # ASINs fetched (10 product calls, sales pooled) and merged at a time


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
        log.debug("========== HOURLY SYNC STARTED ==========")
        log.debug("Marketplace: %s", marketplace)
        log.debug("Debug mode: %s", str(run.debug).lower())
        run_flow(run, Hourly(limit))
    return run.status


class Hourly(Flow):
    """Up to `limit` due ASINs (new, sales gaps, stale), MERGE_BATCH_ASINS merged at a time."""

    log = log
    step_log = True

    def __init__(self, limit: int | str | None):
        self.limit = limit
        self.run_plan: pacing.RunPlan | None = None

    @property
    def batch_size(self) -> int:  # read when the run starts (tests change it)
        return MERGE_BATCH_ASINS

    def plan(self, run: SyncRun, budget: pacing.BudgetState) -> None:
        self.run_plan = _plan(run, budget, self.limit)

    def select(self, run: SyncRun) -> list[AsinWork]:
        cfg, plan = run.config, self.run_plan
        log.debug(
            "Selecting up to %d ASINs (priority: new first, then sales gaps, then stale >%d days)...",
            plan.limit,
            cfg.stale_data_threshold_days,
        )
        rows = (
            run.query("select_asins", pacing.select_params(cfg, plan, marketplace=run.marketplace))
            if plan.limit > 0
            else []
        )
        work = [AsinWork(asin, kind, synced, group) for asin, kind, synced, group in rows]
        new = [w.asin for w in work if w.kind == "new"]
        gaps = [w.asin for w in work if w.kind == SALES_GAP]
        family = [w.asin for w in work if w.kind == FAMILY]
        stale = len(work) - len(new) - len(gaps) - len(family)
        self.step("Select", "Found %d NEW ASINs", len(new))
        self.step("Select", "Found %d SALES-GAP ASINs", len(gaps))
        self.step("Select", "Found %d STALE ASINs", stale)
        if family:
            self.step("Select", "Found %d ASINs refreshed with their shared-rank group", len(family))
        log.debug("Selected %d ASINs total:", len(work))
        log.debug("  - New ASINs: %d", len(new))
        log.debug("  - Sales-gap ASINs: %d (sales only)", len(gaps))
        log.debug("  - Stale ASINs: %d", stale)
        if new:
            log.debug("  - New ASIN list: [%s]", " ".join(new))
        if gaps:
            log.debug("  - Sales-gap ASIN list: [%s]", " ".join(gaps))
        if work:
            log.debug("---------- STEP 4 & 5: SYNC PRODUCT & SALES DATA ----------")
            self.step("SyncASINs", "Starting sync for %d ASINs", len(work))
        return work

    def nothing_due(self, run: SyncRun) -> None:
        plan = self.run_plan
        if plan is not None and plan.auto and plan.limit == 0 and plan.capped_by == "time":
            message = "time allowance used up before the selection: no ASIN taken this run"
            run.status.warnings.append(message)
            log.warning("%s (the catch-up and the steps before took it)", message)
            run.time_up(0)
            return
        log.debug("No ASINs due: all data is fresh")

    def done(self, run: SyncRun, outcomes: list) -> None:
        status, cfg = run.status, run.config
        not_found = [o.asin for o in outcomes if o.product_status == "not_found"]
        for asin in not_found:
            self.step(
                "NotFound",
                "Marked ASIN %s as 'product not found' (will retry in %d days)",
                asin,
                cfg.product_not_found_retry_days,
            )
        self.step(
            "SyncASINs",
            "Product sync summary: %d success, %d failed, %d not found",
            status.successful_product_sync,
            sum(o.product_status in ("failed", "invalid") for o in outcomes),
            len(not_found),
        )
        self.step(
            "SyncASINs",
            "Sales sync summary: %d successful, %d failed",
            status.successful_sales_sync,
            sum(o.sales_status == "failed" for o in outcomes),
        )
        self.step("SyncASINs", "Total API calls made: %d", run.usage.total)

    def finish(self, run: SyncRun) -> None:  # freshness and budget need the staging connection
        _finish(run)


def _plan(run: SyncRun, state: pacing.BudgetState, limit: int | str | None) -> pacing.RunPlan:
    """This run's limit from the configuration and what the month's budget has left."""
    cfg, status = run.config, run.status
    rpa = pacing.DEFAULT_REQUESTS_PER_ASIN
    auto = limit == "auto" or (limit is None and cfg.hourly_sync_asin_limit == "auto")
    if auto or state.monthly:
        rpa = pacing.measured_requests_per_asin(run.query, cfg, marketplace=run.marketplace)
    carry = 0.0
    if auto and state.monthly is not None:
        carry = float(run.query("plan_budget_carry", {"run_id": status.run_id, "now": None})[0][0] or 0.0)
    # What is left of the allowance to fetch in: the catch-up and the steps so far count against it.
    seconds = math.floor(run.stop.seconds_left())
    plan = pacing.plan_run(cfg, state, rpa, status.started_at, limit=limit, carry=carry, seconds=seconds)
    status.plan = {
        "limit": plan.limit,
        "auto": plan.auto,
        "capped_by": plan.capped_by,
        "requests_per_asin": round(rpa, 4),
    }
    if plan.auto:
        status.plan["fetch_seconds"] = seconds
    if plan.auto and state.monthly is not None:
        status.plan["budget_carry"] = round(plan.budget_carry, 6)
    if cfg.sales_family_sharing:  # the requests per ASIN are measured over runs that shared alike
        status.plan["family_sharing"] = True
    log.debug(
        "Plan: %d ASINs (%s, capped by %s; %.3f requests per ASIN)",
        plan.limit,
        "auto" if plan.auto else "fixed",
        plan.capped_by,
        rpa,
    )
    return plan


def _finish(run: SyncRun) -> None:
    """The catalogue's freshness and the month's budget for the status (best effort)."""
    cfg, status = run.config, run.status
    if status.budget:
        spent = status.budget["spent"] + run.usage.total
        status.budget = pacing.BudgetState(cfg.monthly_request_budget, spent).as_dict()
    if run.staging is None or run.staging.closed or run.catalogue is None:
        return  # no staging, or a catalogue that could not be read (the run stopped saying why)
    if run.stop.requested:
        return  # a run stopped by a signal has seconds left: the catalogue's figures can wait
    try:
        fig = freshness.figures(
            run.staging,
            cfg.staging.prefix,
            cfg.stale_data_threshold_days,
            cfg.product_not_found_retry_days,
            catalogue=run.catalogue,
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
        best = pacing.best_threshold_days(
            fig["visible_asins"],
            rpa,
            pacing.per_run_capacity(cfg, rpa),
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
