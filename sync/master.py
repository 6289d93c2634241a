"""The master sync: every visible ASIN, in batches of 100, resumable after any crash.

Its work list is a queue in staging (`jssync_master_queue`), not memory: `fresh` refills it with
every visible ASIN and resets their sync flags; `resume` takes the rows not yet done. A batch's
rows are marked done inside the staging transaction that merges the batch, so a process killed
at any moment leaves the queue saying exactly which ASINs staging holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from extract import settings
from extract.fetch import AsinWork
from sync.config import Config
from sync.flow import Flow, run_flow
from sync.run import StopSync, SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.master")
# Per-batch progress lines; the CLI silences them while it draws a progress bar instead.
progress_log = logging.getLogger("jssync.master.progress")

FLOW = "MASTER_SYNC"
BATCH_SIZE = settings.PRODUCT_BATCH_SIZE
MODES = ("fresh", "resume")
DATE_RANGES = ("1month", "1year")  # the sales range of ASINs never synced
DEFAULT_DATE_RANGE = "1month"


class MasterSync:
    """One master sync in two steps: start() takes the lock and saves the running status (fast,
    so an HTTP request can answer 202 with it); finish() does the work and closes the run."""

    def __init__(
        self,
        config: Config,
        marketplace: str = "us",
        *,
        date_range: str | None = None,
        mode: str = "fresh",
        on_progress: Callable[[SyncStatus], None] | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"sync mode {mode!r} is not allowed: use fresh or resume")
        if date_range is not None and date_range not in DATE_RANGES:
            raise ValueError(f"date range {date_range!r} is not allowed: use 1month or 1year")
        self.run = SyncRun(config, "master", marketplace, FLOW, on_progress=on_progress, summary=_summary)
        self.requested_range = date_range
        self.mode = mode
        self.opened = False
        status = self.run.status
        status.sync_mode = mode
        status.date_range = date_range or DEFAULT_DATE_RANGE

    @property
    def status(self) -> SyncStatus:
        return self.run.status

    def start(self) -> SyncStatus:
        """Take the one-sync lock, connect to staging, decide fresh or resume, save the status.

        Raises SyncAlreadyRunning; an unreachable staging gives a stopped (and reported) status."""
        status = self.status
        try:
            queued, done, queue_range = self.run.start().query("master_queue_state")[0]
        except StopSync as exc:
            self.run.finish(exc)
            return status
        self.opened = True
        self.run.unbind_logs()  # the request thread goes on; finish() binds the run's thread
        if self.mode == "resume" and queued == 0:
            log.info("no master sync to resume (the queue is empty): starting fresh")
            status.sync_mode = "fresh"
        if status.sync_mode == "resume" and self.requested_range is None and queue_range in DATE_RANGES:
            status.date_range = queue_range  # keep the range the interrupted sync started with
        if status.sync_mode == "resume":
            status.total_asins = queued - done
        self.run.save()
        return status

    def finish(self) -> SyncStatus:
        """Sync every queued ASIN, then close the run; returns the final status (never raises:
        a background run has nobody to raise to, so every error ends in the status)."""
        if not self.opened:
            return self.status
        self.run.bind_logs()
        with self.run:
            self._sync()
        return self.status

    def _sync(self) -> None:
        log.debug("========== MASTER SYNC STARTED ==========")
        run, status = self.run, self.status
        log.debug("Marketplace: %s, mode: %s, date range: %s", run.marketplace, status.sync_mode, status.date_range)
        run_flow(run, _Master())


class _Master(Flow):
    """Every queued ASIN in batches of 100, each batch marked done in its merge transaction."""

    log = log
    batch_size = BATCH_SIZE

    def prepare(self, run: SyncRun) -> None:
        status = run.status
        if status.sync_mode == "fresh":
            queued = run.query("master_queue_fill", {"run_id": status.run_id, "date_range": status.date_range})[0][0]
            log.debug("Fresh start: %d visible ASINs queued, their sync flags reset", queued)

    def select(self, run: SyncRun) -> list[AsinWork]:
        return [AsinWork(asin, kind, synced) for asin, kind, synced in run.query("master_queue_pending")]

    def fetch(self, run: SyncRun) -> dict:
        return {"date_range": run.status.date_range, "mark_master_queue": True}

    def nothing_due(self, run: SyncRun) -> None:
        log.info(
            "master sync: nothing to do (%s)",
            "no visible ASINs"
            if run.status.sync_mode == "fresh"
            else "the last master sync already finished; use fresh to start over",
        )

    def after_batch(self, run: SyncRun, number: int) -> None:
        status = run.status
        progress_log.info(
            "master sync batch %d/%d: %d/%d ASINs processed, %d product, %d sales, %d failed, %d API calls",
            number,
            status.total_batches,
            status.total_asins_processed,
            status.total_asins,
            status.successful_product_sync,
            status.successful_sales_sync,
            status.failed_asins,
            run.usage.total,
        )


def run_master(
    config: Config,
    marketplace: str = "us",
    *,
    date_range: str | None = None,
    mode: str = "fresh",
    on_progress: Callable[[SyncStatus], None] | None = None,
) -> SyncStatus:
    """Run one master sync to completion and return its status.

    `date_range` (1month|1year) is the sales range of ASINs never synced; None means 1month, or
    for `resume` the range the interrupted sync chose. Raises SyncAlreadyRunning."""
    master = MasterSync(config, marketplace, date_range=date_range, mode=mode, on_progress=on_progress)
    master.start()
    return master.finish()


def _summary(status: SyncStatus) -> None:
    log.info(
        "master sync %s: %d of %d ASINs processed in %d batches, %d product, %d sales, %d failed, %d API calls%s",
        "stopped early" if status.stopped_early else "completed",
        status.total_asins_processed,
        status.total_asins,
        status.current_batch,
        status.successful_product_sync,
        status.successful_sales_sync,
        status.failed_asins,
        status.total_api_calls,
        f" ({status.stop_reason})" if status.stop_reason else "",
    )
