"""A sync run's life: `with SyncRun(...) as run:` takes the lock and connects to staging, and at
the end, whatever happened, finishes the status, releases everything and reports, once.

The flows (hourly, master, manual, catch-up, verify) only say what the run does in between; a step that
cannot go on raises StopSync, which the run turns into a stopped status (not an exception).

Every run has a RunStop (`run.stop`), asked to stop by SIGTERM or SIGINT (sync.signals): its
steps then raise StopSync, and it closes as stopped early with the signal named. An hourly run
also has a time allowance (sync.allowance) from its start: its stop's deadline.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from types import TracebackType

import psycopg2

from extract import settings
from extract.client import ApiUsage, JungleScoutClient
from extract.landing import Landing, open_for_run
from extract.ratelimit import RateLimiter
from extract.stopping import RunStop
from extract.text import Scrubber, first_line
from loaders import catalogue as catalogues
from loaders.connections import DatabaseUnavailable, connect
from loaders.execute import run_model
from loaders.lock import LockGuard
from sync import archiving, logs, report, signals
from sync.allowance import Allowance
from sync.config import Config
from sync.guard import SyncLock
from sync.status import SyncStatus, utcnow

log = logging.getLogger("jssync.sync")
# Run kinds that read the site's catalogue: it is resolved and checked when they start.
READS_CATALOGUE = frozenset({"hourly", "master", "product", "sales", "manual"})

# After SIGTERM/SIGINT: the merge in hand may take this long before it is cancelled (rolled
# back), and the whole close, report included, is over by STOP_SECONDS: Cloud Run sends
# SIGKILL 10 s after SIGTERM, and `jssync serve`'s graceful timeout is 8 s.
GUARD_SECONDS = 5.0
STOP_SECONDS = 7.0


class StopSync(Exception):
    """A critical error: the run stops early with this reason."""

    def __init__(self, reason: str, category: str = "db"):
        super().__init__(reason)
        self.category = category


class SyncRun:
    """One sync's resources (the lock, a staging connection, the landing, the API client) and its
    status. Use as `with SyncRun(...) as run:`; entering raises only SyncAlreadyRunning."""

    def __init__(
        self,
        config: Config,
        kind: str,
        marketplace: str,
        flow: str,
        *,
        on_progress: Callable[[SyncStatus], None] | None = None,
        debug: bool = False,
        summary: Callable[[SyncStatus], None] | None = None,
        status_class: type[SyncStatus] = SyncStatus,
        embed: Callable[[SyncStatus], dict] | None = None,
        allowance: float | None = None,
    ):
        """`allowance`: the run's time budget in seconds from now (SYNC_RUN_TIME_LIMIT_SECONDS
        for an hourly run); None: none (master and manual syncs run until done)."""
        self.config, self.kind, self.marketplace, self.flow = config, kind, marketplace, flow
        self.on_progress = on_progress
        self.debug = debug
        self.summary = summary  # the flow's closing log line(s), written before the context ends
        self.embed = embed  # the flow's own Discord embed (None: the sync report's)
        self.staging = None
        self.landing: Landing | None = None
        self.client: JungleScoutClient | None = None
        self.production_ok = True
        # The catalogue this run reads (resolved in start(); templates get it through query()).
        self.catalogue: catalogues.Catalogue | None = None
        self.lock: SyncLock | None = None
        self.budget: object = None  # extract.budget.RequestBudget: the monthly budget's gate, if armed
        self.archive: object = None  # sync.archiving.ArchiveRun: the landing archive's part of the run
        self.status = status_class(
            kind=kind, run_id=str(uuid.uuid4()), marketplace=marketplace, started_at=utcnow(), is_running=True
        )
        # The status's start is to the second; what is "landed before this run" needs the instant
        # (dlt's load ids are UNIX times with fractions).
        self.started_unix = time.time()
        if config.staging_only:
            self.status.production = "disabled"
        # Error texts come from servers and libraries: scrub them before they are stored or shown.
        self.status.errors.scrub = Scrubber(config.secrets())
        self.usage = ApiUsage(rate_per_minute=config.rate_per_minute)
        self.allowance = Allowance.begin(allowance) if allowance else None
        self.stop = RunStop(
            self.allowance.fetch_deadline if self.allowance else None,
            self.allowance.grace if self.allowance else 0.0,
            guard_seconds=GUARD_SECONDS,
        )
        if self.allowance is not None:
            self.status.allowance = self.allowance.as_dict()
        self.unfinished = 0  # selected ASINs that batches cut short by the deadline left
        self._recorded: dict[tuple, dict[str, int]] = {}
        self._started = self._finished = False
        self._logs_before: Mapping[str, object] | None = None
        self.bind_logs()
        signals.watch(self.stop)  # SIGTERM/SIGINT stop it from here on

    # -- lifecycle -------------------------------------------------------------------------
    def bind_logs(self) -> None:
        """Tag this thread's log lines (and threads started from it) with the run, and show its
        debug lines when the run asked for them (only this run's: the filter reads the context)."""
        before = logs.set_context(self.flow, self.status.run_id, debug=self.debug)
        if self._logs_before is None:
            self._logs_before = before

    def unbind_logs(self) -> None:
        """Give this thread its log context back (a run's debug must not outlive it)."""
        if self._logs_before is not None:
            logs.restore_context(self._logs_before)

    def start(self) -> SyncRun:
        """Take the one-sync lock, connect to staging, resolve and check the catalogue (the kinds
        that read it), and save the running status.

        Raises SyncAlreadyRunning (holding nothing). An unreachable staging or a catalogue that
        cannot be read stops the run: its first step then raises StopSync, and finish() reports it."""
        if self._started:
            return self
        self._started = True
        try:
            lock = SyncLock(self.config.staging).acquire()
        except DatabaseUnavailable as exc:
            self.status.stop(f"Staging database unreachable: {exc}")
            return self
        except BaseException:  # SyncAlreadyRunning: this run never ran; its log context goes too
            signals.unwatch(self.stop)
            self.unbind_logs()
            raise
        try:
            self.staging = connect(self.config.staging, application_name=f"jssync-{self.kind}")
        except DatabaseUnavailable as exc:
            lock.release()
            self.status.stop(f"Staging database unreachable: {exc}")
            return self
        except BaseException:
            lock.release()
            signals.unwatch(self.stop)
            self.unbind_logs()
            raise
        self.lock = lock
        self.status.lock_pid = lock.pid
        if self.kind in READS_CATALOGUE:
            self._resolve_catalogue()
        self.save()
        self.log_limits()
        return self

    def _resolve_catalogue(self) -> None:
        """The catalogue as staging holds it now (CATALOGUE_TABLE_FROM read anew each run), checked
        before any step touches anything; a problem stops the run with a reason naming the fix."""
        settings = self.config.catalogue
        try:
            self.catalogue = catalogues.resolve(self.staging, self.config.staging.prefix, settings, record=True)
        except catalogues.CatalogueError as exc:
            self.status.stop(f"Catalogue: {exc}", "other")
            return
        except psycopg2.Error as exc:
            self.status.stop(f"Reading the catalogue from staging failed: {first_line(exc)}")
            return
        self.status.catalogue = self.catalogue.as_dict()

    def finish(self, exc: BaseException | None = None) -> bool:
        """Record how the run ended (`exc`: what stopped it, if anything), then close it, once.

        Returns True when `exc` is recorded in the status (StopSync, or any other Exception: a
        run reports every failure as a stopped status); KeyboardInterrupt and the like pass."""
        handled = False
        if self.stop.requested and not self.status.stopped_early:
            self.status.stop(self.stop.reason, "other")  # a signal: whatever was left is undone
        if isinstance(exc, StopSync):
            self.status.stop(str(exc), exc.category)
            handled = True
        elif isinstance(exc, Exception):
            self.status.stop(f"Unexpected error: {type(exc).__name__}: {first_line(exc)}", "other")
            log.error("%s sync stopped by an unexpected error", self.kind, exc_info=exc)
            handled = True
        if self.status.stopped_early:
            log.error("%s sync stopped early: %s", self.kind, self.status.stop_reason)
        if not self._finished:
            self._finished = True
            self.close()
            if self.summary is not None:
                self.summary(self.status)
        signals.unwatch(self.stop)
        self.unbind_logs()
        return handled

    def __enter__(self) -> SyncRun:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        return self.finish(exc)

    def lock_guard(self) -> LockGuard | None:
        """The check a write outside the staging merge makes that this run still holds its lock."""
        if self.lock is None or self.staging is None:
            return None
        return LockGuard(self.staging, self.config.staging.prefix, self.lock.pid)

    def require_staging(self) -> None:
        """Raise StopSync when the run has no staging connection (it could not connect), or was
        stopped before its first step (e.g. by its catalogue check)."""
        if self.staging is None:
            raise StopSync(self.status.stop_reason or "no staging connection")
        if self.status.stopped_early:
            raise StopSync(self.status.stop_reason)

    def check_stop(self) -> None:
        """Raise StopSync, naming the signal, once the run was asked to stop."""
        if self.stop.requested:
            raise StopSync(self.stop.reason or "stopped", "other")

    def time_up(self, not_started: int) -> bool:
        """Whether the time allowance's fetch deadline has passed (then no batch should start).
        The first time it has, warns how many selected ASINs are left for the next run:
        `not_started` (in batches not begun) plus those cut batches left unfinished."""
        if not self.stop.expired():
            return False
        left = not_started + self.unfinished
        if self.allowance is not None and not self.status.allowance.get("used_up"):
            self.status.allowance.update(used_up=True, asins_left=left)
            if left:
                self.status.warnings.append(f"time allowance used up: {left} selected ASINs left for the next run")
                log.warning(
                    "time allowance of %gs used up (margin %gs); %d selected ASINs left for the next run",
                    self.allowance.limit,
                    self.allowance.margin,
                    left,
                )
        return True

    def log_limits(self) -> None:
        """One line with everything that bounds this run, so that its log tells how it was run:
        the time allowance and its deadlines, the API rate, concurrency, retries, the ASIN limit
        and the month's request budget (no secret in it)."""
        cfg = self.config
        allowance = (
            self.allowance.describe()
            if self.allowance is not None
            else "no time allowance (runs until done; SIGTERM or SIGINT stops it)"
        )
        budget = "no monthly request budget"
        if cfg.monthly_request_budget is not None:
            try:
                spent = int(self.query("plan_month_usage", {"now": None})[0][0])
                budget = (
                    f"monthly request budget {cfg.monthly_request_budget}, "
                    f"{max(0, cfg.monthly_request_budget - spent)} left ({spent} spent)"
                )
            except StopSync:
                budget = f"monthly request budget {cfg.monthly_request_budget} (spent unknown)"
        log.info(
            "%s sync limits: %s; API rate %d/min, burst %d/s, at most %d requests in flight, "
            "%d attempts per request (backoff %d ms, waits up to %d ms, 429s for up to %d s); "
            "ASIN limit %s; %s",
            self.kind,
            allowance,
            cfg.rate_per_minute,
            cfg.burst_per_second,
            cfg.max_concurrency,
            settings.API_ATTEMPTS,
            cfg.retry_backoff_ms,
            cfg.max_retry_wait_ms,
            cfg.rate_limit_wait_seconds,
            cfg.hourly_sync_asin_limit if self.kind == "hourly" else "none (every ASIN of the run)",
            budget,
        )

    def close(self) -> None:
        """Finish the status, save it and the API usage, release everything, then send the
        Discord report (after the lock is released: a slow webhook must not hold up the next sync).
        Never raises: each step that fails is logged and the rest still happen."""
        self._quietly("closing the landing archive", archiving.close, self)
        self.status.is_running = False
        self.status.completed_at = utcnow()
        self.status.total_api_calls = self.usage.total
        self.status.api_usage = self.usage.as_dict()
        previous = None
        self._quietly("saving the run status", self.save)
        self._quietly("recording API usage", self.record_usage)
        if self.config.notify_on_change_only:
            previous = self._quietly(
                "reading the previous outcome",
                report.previous_outcome,
                self.staging,
                self.config.staging.prefix,
                self.status,
            )
        if self.client is not None:
            self._quietly("closing the API client", self.client.close)
        if self.landing is not None:
            self._quietly("releasing the landing file", self.landing.release)
        if self.lock is not None:
            self.lock.release()
        if self.staging is not None:
            self._quietly("closing the staging connection", self.staging.close)
        within = None
        if self.stop.requested:  # the report must be out before Cloud Run's SIGKILL
            within = max(0.5, STOP_SECONDS - (self.stop.now() - self.stop.requested_at))
        report.notify(self.config, self.status, previous=previous, embed=self.embed, within=within)

    @staticmethod
    def _quietly(what: str, action: Callable, *args: object) -> object:
        try:
            return action(*args)
        except Exception as exc:  # closing must finish whatever failed before
            log.warning("%s failed: %s", what, first_line(exc))
            return None

    # -- what the run keeps in staging -----------------------------------------------------
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
                    run_model(
                        cur,
                        "record_api_usage",
                        "staging",
                        self.config.staging.prefix,
                        {**delta, "marketplace": self.marketplace},
                    )
            for key, row, _ in deltas:  # only once committed: a failed write is retried later
                self._recorded[key] = {k: row[k] for k in counted}
        except psycopg2.Error as exc:
            log.warning(
                "could not add this run's API usage to staging (%s): %s", first_line(exc), self.status.api_usage
            )

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
                run_model(
                    cur,
                    "save_run",
                    "staging",
                    self.config.staging.prefix,
                    {
                        "run_id": self.status.run_id,
                        "kind": self.kind,
                        "marketplace": self.marketplace,
                        "started_at": self.status.started_at.replace(tzinfo=None),
                        "finished_at": self.status.completed_at.replace(tzinfo=None)
                        if self.status.completed_at
                        else None,
                        "outcome": self.status.outcome,
                        "status": json.dumps(body),
                    },
                )
        except psycopg2.Error as exc:
            log.warning("could not save the run status to staging: %s", first_line(exc))

    def query(self, name: str, params: dict | None = None) -> list[tuple]:
        """Run a staging query from sql/queries in its own transaction (rendered with the run's
        catalogue); critical on failure (StopSync), and not run at all once the run was asked to
        stop."""
        self.require_staging()
        self.check_stop()
        try:
            with self.staging, self.staging.cursor() as cur:
                run_model(cur, name, "staging", self.config.staging.prefix, params, catalogue=self.catalogue)
                return cur.fetchall() if cur.description else []
        except psycopg2.Error as exc:
            raise StopSync(f"Staging query {name} failed: {first_line(exc)}") from exc

    # -- resources held until close() -------------------------------------------------------
    def api_client(self) -> JungleScoutClient:
        """The run's API client: one HTTP session and connection pool for every batch."""
        if self.client is None:
            limiter = RateLimiter(self.config.rate_per_minute, self.config.burst_per_second)
            self.client = JungleScoutClient(
                self.config.js_base_url,
                self.config.js_authorization,
                limiter,
                usage=self.usage,
                backoff=self.config.retry_backoff_ms / 1000,
                max_retry_wait=self.config.max_retry_wait_ms / 1000,
                rate_limit_wait=self.config.rate_limit_wait_seconds,
                pool_size=max(1, self.config.max_concurrency),
                budget=self.budget,
                stop=self.stop,
            )
        return self.client

    def open_landing(self) -> Landing:
        """The run's landing file, held until close(); a file of its own if the main one is busy."""
        if self.landing is None:
            self.landing, fallback = open_for_run(
                self.config.landing_dir, self.status.run_id, self.config.landing_lock_wait
            )
            self.status.landing = {"file": str(self.landing.file), "fallback": fallback is not None}
            if fallback:
                self.status.landing["reason"] = fallback
        return self.landing
