"""What every sync shares: the run's resources and lifecycle, and processing one batch.

A batch flows one way: extract (API -> dlt -> DuckDB landing) -> merge into staging (one
transaction with sync_status and the production outbox) -> publish to production.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg2

from extract import jungle_scout_source
from extract.client import ApiUsage, JungleScoutClient
from extract.fetch import AsinOutcome, AsinWork, BatchFetcher
from extract.landing import Landing, LandingError, open_for_run
from extract.ratelimit import RateLimiter
from extract.settings import NOT_FOUND_ERROR
from loaders.connections import DatabaseUnavailable, connect, first_line
from loaders.execute import run_model
from loaders.merge import merge_staging, pending_outbox, publish
from sync import logs, report
from sync.config import Config
from sync.guard import LockLost, SyncLock
from sync.status import SyncStatus, utcnow

log = logging.getLogger("jssync.sync")


class StopSync(Exception):
    """A critical error: the run stops early with this reason."""

    def __init__(self, reason: str, category: str = "db"):
        super().__init__(reason)
        self.category = category


@dataclass
class SyncRun:
    """One sync's resources: the lock, a staging connection, the landing, the API client."""

    config: Config
    kind: str
    marketplace: str
    flow: str
    status: SyncStatus = field(init=False)
    on_progress: Callable[[SyncStatus], None] | None = None
    staging: object = None
    landing: Landing | None = None
    client: JungleScoutClient | None = None
    production_ok: bool = True
    budget: object = None  # extract.budget.RequestBudget: the monthly budget's gate, if armed
    _lock: SyncLock | None = None

    def __post_init__(self) -> None:
        self.status = SyncStatus(kind=self.kind, run_id=str(uuid.uuid4()), marketplace=self.marketplace,
                                 started_at=utcnow(), is_running=True)
        # Error texts come from servers and libraries: scrub them before they are stored or shown.
        self.status.errors.scrub = logs.SecretFilter(self.config.secrets()).scrub
        self.usage = ApiUsage()
        self._recorded: dict[tuple, dict[str, int]] = {}
        self.bind_logs()

    # -- lifecycle -------------------------------------------------------------------------
    def bind_logs(self) -> None:
        """Tag this thread's log lines (and threads started from it) with the run."""
        logs.set_context(self.flow, self.status.run_id)

    def open(self) -> None:
        """Take the one-sync lock, then connect to staging.

        Raises DatabaseUnavailable or SyncAlreadyRunning (and then holds nothing)."""
        lock = SyncLock(self.config.staging).acquire()
        try:
            self.staging = connect(self.config.staging, application_name=f"jssync-{self.kind}")
        except Exception:
            lock.release()
            raise
        self._lock = lock
        self.status.lock_pid = lock.pid
        self.save()

    def close(self) -> None:
        """Finish the status, save it and the API usage, release everything, then send the
        Discord report (after the lock is released: a slow webhook must not hold up the next sync).
        Never raises: each step that fails is logged and the rest still happen."""
        self.status.is_running = False
        self.status.completed_at = utcnow()
        self.status.total_api_calls = self.usage.total
        self.status.api_usage = self.usage.as_dict()
        previous = None
        self._quietly("saving the run status", self.save)
        self._quietly("recording API usage", self.record_usage)
        if self.config.notify_on_change_only:
            previous = self._quietly("reading the previous outcome", report.previous_outcome,
                                     self.staging, self.config.staging.prefix, self.status)
        if self.client is not None:
            self._quietly("closing the API client", self.client.close)
        if self.landing is not None:
            self._quietly("releasing the landing file", self.landing.release)
        if self._lock is not None:
            self._lock.release()
        if self.staging is not None:
            self._quietly("closing the staging connection", self.staging.close)
        report.notify(self.config, self.status, previous=previous)

    @staticmethod
    def _quietly(what: str, action: Callable, *args: object) -> object:
        try:
            return action(*args)
        except Exception as exc:  # closing must finish whatever failed before
            log.warning("%s failed: %s", what, first_line(exc))
            return None

    def record_usage(self) -> None:
        """Add the API requests not yet recorded to staging's usage ledger: after every batch, so a
        crashed run's requests are counted too (best effort: staging may be down; then logged)."""
        counted = ("requests", "retries", "rate_limited", "errors")
        deltas = []
        for row in self.usage.ledger_rows():
            key = (row["day"], row["endpoint"])
            before = self._recorded.get(key, dict.fromkeys(counted, 0))
            delta = {k: row[k] - before[k] for k in counted}
            if any(delta.values()):
                deltas.append((key, row, {**row, **delta}))
        if not deltas:
            return
        try:
            if self.staging is None or self.staging.closed:
                raise psycopg2.InterfaceError("no staging connection")
            with self.staging, self.staging.cursor() as cur:
                for _, _, delta in deltas:
                    run_model(cur, "record_api_usage", "staging", self.config.staging.prefix,
                              {**delta, "marketplace": self.marketplace})
            for key, row, _ in deltas:  # only once committed: a failed write is retried later
                self._recorded[key] = {k: row[k] for k in counted}
        except psycopg2.Error as exc:
            log.warning("could not add this run's API usage to staging (%s): %s", first_line(exc),
                        self.status.api_usage)

    def save(self) -> None:
        """Write the status object to staging's run history (best effort: staging may be down)."""
        self.status.total_api_calls = self.usage.total
        if self.on_progress is not None:
            self.on_progress(self.status)
        if self.staging is None or self.staging.closed:
            return
        body = self.status.as_master_dict() if self.kind == "master" else self.status.as_dict()
        try:
            with self.staging, self.staging.cursor() as cur:
                run_model(cur, "save_run", "staging", self.config.staging.prefix, {
                    "run_id": self.status.run_id, "kind": self.kind, "marketplace": self.marketplace,
                    "started_at": self.status.started_at.replace(tzinfo=None),
                    "finished_at": self.status.completed_at.replace(tzinfo=None)
                    if self.status.completed_at else None,
                    "outcome": self.status.outcome, "status": json.dumps(body)})
        except psycopg2.Error as exc:
            log.warning("could not save the run status to staging: %s", first_line(exc))

    def api_client(self) -> JungleScoutClient:
        if self.client is None:
            limiter = RateLimiter(self.config.rate_per_minute, self.config.burst_per_second)
            self.client = JungleScoutClient(self.config.js_base_url, self.config.js_authorization,
                                            limiter, usage=self.usage, budget=self.budget)
        return self.client

    def open_landing(self) -> Landing:
        """The run's landing file, held until close(); a file of its own if the main one is busy."""
        if self.landing is None:
            self.landing, fallback = open_for_run(self.config.landing_dir, self.status.run_id,
                                                  self.config.landing_lock_wait)
            self.status.landing = {"file": str(self.landing.file), "fallback": fallback is not None}
            if fallback:
                self.status.landing["reason"] = fallback
        return self.landing

    # -- steps -----------------------------------------------------------------------------
    def query(self, name: str, params: dict | None = None) -> list[tuple]:
        """Run a staging query from sql/queries in its own transaction; critical on failure."""
        try:
            with self.staging, self.staging.cursor() as cur:
                run_model(cur, name, "staging", self.config.staging.prefix, params)
                return cur.fetchall() if cur.description else []
        except psycopg2.Error as exc:
            raise StopSync(f"Staging query {name} failed: {first_line(exc)}") from exc

    def catch_up(self) -> None:
        """Apply to production every merge staging committed and production has not."""
        self.publish(catch_up=True)

    def publish(self, *, catch_up: bool = False) -> None:
        """Apply pending merges to production; after one failure this run only counts them."""
        if not self.production_ok:
            try:
                self.status.production_pending = len(pending_outbox(self.staging, self.config.staging.prefix))
            except psycopg2.Error as exc:
                raise StopSync(f"Reading the production outbox from staging failed: {first_line(exc)}") from exc
            return
        try:
            result = publish(self.staging, self.config.staging.prefix, self.config.production)
        except psycopg2.Error as exc:
            raise StopSync(f"Reading the production outbox from staging failed: {first_line(exc)}") from exc
        self.status.production_pending = result.pending
        if catch_up and result.applied:
            self.status.production_catch_up = {"ran": True, "applied": len(result.applied)}
            log.info("production catch-up applied %d pending merges", len(result.applied))
        if result.error:
            self.production_ok = False  # one outage costs one set of retries per run, not per batch
            self.status.errors.add("db", result.error)
            log.warning("%s; %d merges stay pending for the next sync", result.error, result.pending)

    def process_batch(self, work: list[AsinWork], batch: int, *, fetch_products: bool = True,
                      fetch_sales: bool = True, date_range: str = "1year",
                      also: Callable[[object], None] | None = None) -> list[AsinOutcome]:
        """Extract, land, merge into staging, publish to production; returns the outcomes."""
        fetcher = BatchFetcher(self.api_client(), self.marketplace, self.status.started_at.date(),
                               max_concurrency=self.config.max_concurrency,
                               fetch_products=fetch_products, fetch_sales=fetch_sales,
                               date_range=date_range)
        batch_row = {"run_id": self.status.run_id, "kind": self.kind, "marketplace": self.marketplace,
                     "batch": batch, "asins": len(work), "started_at": utcnow().replace(tzinfo=None)}
        try:
            landing = self.open_landing()
            load = landing.land(jungle_scout_source(fetcher.run(work), batch_row))
        except LandingError as exc:
            raise StopSync(str(exc), "other") from exc
        self.status.landing["load_id"] = load.load_id
        log.debug("Storing %d ASINs to staging (load %s)...", len(work), load.load_id,
                  extra={"step": "SyncASINs"})
        def guarded(cur) -> None:
            self._lock.check(cur)  # inside the merge transaction: no lock, no write
            if also is not None:
                also(cur)

        try:
            merged = merge_staging(self.staging, self.config.staging.prefix, landing, load,
                                   self.status.run_id, guarded)
        except (psycopg2.Error, DatabaseUnavailable) as exc:
            raise StopSync(f"Staging merge failed: {first_line(exc)}") from exc
        except LockLost as exc:
            raise StopSync(str(exc), "other") from exc
        log.debug("Staging: merged %d product rows, %d sales rows, %d sync_status rows",
                  merged.products, merged.sales, merged.outcomes, extra={"step": "SyncASINs"})
        outcomes = list(fetcher.outcomes.values())
        self.tally(outcomes)
        self.record_usage()
        self.publish()
        self.save()
        return outcomes

    def tally(self, outcomes: list[AsinOutcome]) -> None:
        status = self.status
        for outcome in outcomes:
            status.total_asins_processed += 1
            if outcome.kind == "new":
                status.new_asins_synced += 1
            elif outcome.kind == "stale":
                status.stale_asins_synced += 1
            if outcome.product_status == "found":
                status.successful_product_sync += 1
            if outcome.sales_status in ("synced", "no_data", "current"):
                status.successful_sales_sync += 1
            if outcome.failed:
                status.failed_asins += 1
            if outcome.error and outcome.error != NOT_FOUND_ERROR:
                status.errors.add(outcome.error_category or "other", outcome.error)
        status.total_api_calls = self.usage.total
