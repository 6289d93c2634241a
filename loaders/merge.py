"""Merging a landed batch: into staging (one transaction), then into production (mirrored).

Staging's transaction writes the data, the sync_status updates and an outbox row naming what
production is owed. Production then copies exactly those rows from staging and upserts them;
the outbox row is marked applied only after production commits. A production outage therefore
leaves entries pending, which every later sync (or `jssync catch-up`) applies first.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tenacity

from extract import retrying
from extract.landing import LandedLoad, Landing
from extract.records import PRODUCT_COLUMNS, SALES_COLUMNS
from loaders import archive as archive_pending
from loaders.connections import DbSettings, connection, first_line
from loaders.execute import copy_in, copy_out, in_transaction, run_model
from loaders.lock import LockGuard, LockLost, check_lock_held
from loaders.render import render

log = logging.getLogger("jssync.merge")

PRODUCT_INPUT = ["asin", "report_date", *PRODUCT_COLUMNS]
SALES_INPUT = ["asin", "marketplace", "date", *SALES_COLUMNS]
OUTCOME_INPUT = [
    "asin",
    "marketplace",
    "kind",
    "product_status",
    "sales_status",
    "sales_start",
    "sales_end",
    "sales_points",
    "error_category",
    "error",
    "sales_synced_at",
]
# Variation families (issue 18): copied ranges of shared members' rows, and the audits.
PROVENANCE_INPUT = ["asin", "marketplace", "first_date", "last_date", "source_asin"]
AUDIT_INPUT = [
    "marketplace",
    "asin",
    "source_asin",
    "parent_asin",
    "product_rank",
    "first_date",
    "last_date",
    "days_compared",
    "days_differing",
    "first_differing_date",
]
PRODUCTION_PAUSES = (1.0, 2.0)  # seconds between the three production attempts
PUBLISH_CHUNK = 20  # outbox entries per production transaction
KEPT_NAMED = 10  # kept rows named in one log line; the rest are counted


@dataclass(frozen=True)
class StagingMerge:
    """What one staging merge wrote."""

    outbox_id: int | None
    products: int
    sales: int
    outcomes: int


@dataclass(frozen=True)
class KeptRow:
    """A production row an upsert left alone because another writer's copy is newer."""

    table: str
    asin: str
    key: str  # the rest of the key: the report date, or "marketplace date"
    production_stamp: str  # GREATEST(updated_at, created_at) of production's row
    incoming_stamp: str  # the same of staging's row

    def describe(self) -> str:
        return f"{self.asin} {self.key} (production {self.production_stamp} > staging {self.incoming_stamp})"


@dataclass
class PublishResult:
    """What one pass over the production outbox did."""

    applied: list[int] = field(default_factory=list)
    pending: int = 0
    attempts: int = 0
    error: str | None = None
    kept_newer: int = 0  # production rows kept because another writer's copy was newer
    stopped: bool = False  # the run was stopping: the rest stays pending, no error


@dataclass(frozen=True)
class StagingTransaction:
    """What one staging merge transaction holds besides the data models, said by the caller:
    the run, the lock session it must still hold, and whether it marks the master queue."""

    run_id: str
    lock_pid: int | None = None  # check that this session still holds the sync lock
    mark_master_queue: bool = False  # mark the batch's master-queue rows done (master sync)
    record_outbox: bool = True  # False when staging-only: no production will ever read the entry
    archive: archive_pending.PendingLoad | None = None  # keep the load's files for the archive (LANDING_ARCHIVE_URL)


def merge_staging(conn, prefix: str, landing: Landing, load: LandedLoad, txn: StagingTransaction) -> StagingMerge:
    """Merge one landed load into staging in one transaction: the lock check, the data models,
    sync_status, the production outbox row (unless staging-only), (master sync) the queue mark and
    (with an archive) the load's files pending for it, all or nothing."""
    with tempfile.TemporaryDirectory(prefix="jssync-merge-") as tmp:
        inputs = {  # landing table -> (temporary input table, columns, CSV file)
            "products": ("in_product_data", PRODUCT_INPUT, Path(tmp) / "products.csv"),
            "sales_estimates": ("in_sales_estimate_data", SALES_INPUT, Path(tmp) / "sales.csv"),
            "asin_outcomes": ("in_asin_outcomes", OUTCOME_INPUT, Path(tmp) / "outcomes.csv"),
            "sales_provenance": ("in_sales_provenance", PROVENANCE_INPUT, Path(tmp) / "provenance.csv"),
            "family_audits": ("in_family_audits", AUDIT_INPUT, Path(tmp) / "audits.csv"),
        }
        landing.export_csv(load, {table: (columns, path) for table, (_, columns, path) in inputs.items()})
        counts: dict[str, int] = {}

        def work(cur) -> int | None:
            if txn.lock_pid is not None:
                check_lock_held(cur, prefix, txn.lock_pid)  # no lock, no write
            run_model(cur, "input_tables", "staging", prefix)
            for table, (temp, columns, path) in inputs.items():
                with path.open() as source:
                    counts[table] = copy_in(cur, temp, columns, source)
            run_model(cur, "product_data", "staging", prefix)
            run_model(cur, "asin_family", "staging", prefix)
            run_model(cur, "sales_estimate_data", "staging", prefix)
            run_model(cur, "sync_status", "staging", prefix, {"run_id": txn.run_id})
            if counts["sales_estimates"] or counts["sales_provenance"]:
                run_model(cur, "sales_provenance", "staging", prefix, {"run_id": txn.run_id})
            if counts["family_audits"]:
                run_model(cur, "family_audits", "staging", prefix, {"run_id": txn.run_id})
            row = None
            if txn.record_outbox:
                run_model(cur, "production_outbox", "staging", prefix, {"run_id": txn.run_id, "load_id": load.load_id})
                row = cur.fetchone()
            if txn.mark_master_queue:
                run_model(cur, "master_queue_mark_done", "staging", prefix, {"run_id": txn.run_id})
            if txn.archive is not None:
                archive_pending.record(cur, prefix, txn.archive)
            return row[0] if row else None

        outbox_id = in_transaction(conn, work, what="staging merge")
    return StagingMerge(outbox_id, counts["products"], counts["sales_estimates"], counts["asin_outcomes"])


def pending_outbox(conn, prefix: str) -> list[int]:
    """Ids of merges production is still owed, oldest first."""
    with conn, conn.cursor() as cur:
        run_model(cur, "pending_outbox", "staging", prefix)
        return [row[0] for row in cur.fetchall()]


def publish(
    staging_conn,
    staging_prefix: str,
    production: DbSettings,
    *,
    attempts: int = 3,
    pauses: tuple[float, ...] = PRODUCTION_PAUSES,
    guard: LockGuard | None = None,
    stopping: Callable[[], bool] | None = None,
    bounded: Callable[[Callable[[], object]], contextlib.AbstractContextManager] | None = None,
) -> PublishResult:
    """Apply every pending outbox entry to production, oldest first; idempotent.

    Each chunk gets `attempts` tries with `pauses` between them (any error is retried alike:
    unreachable, refused, timed out, failed); on failure the rest stays pending for the next
    sync and the result carries the error. With `guard`, each chunk is exported, committed in
    production and marked applied only while the run holds the sync lock: LockLost otherwise
    (production rolled back, the entries still pending). `stopping()` true (the run got SIGTERM):
    no chunk or attempt starts any more and the rest stays pending (`stopped`, no error);
    `bounded(cancel)` wraps each production transaction (RunStop.guard: cancelled, so rolled back,
    when a stopping run runs out of time)."""
    stopping = stopping or (lambda: False)
    result = PublishResult()
    ids = pending_outbox(staging_conn, staging_prefix)
    result.pending = len(ids)

    def pause(state: tenacity.RetryCallState) -> float:
        return pauses[min(state.attempt_number - 1, len(pauses) - 1)]

    def note(state: tenacity.RetryCallState) -> None:
        log.debug(
            "ERROR: production attempt %d of %d failed: %s",
            state.attempt_number,
            attempts,
            first_line(state.outcome.exception()),
            extra={"step": "Publish"},
        )

    for start in range(0, len(ids), PUBLISH_CHUNK):
        if stopping():
            result.stopped = True
            return result
        chunk = ids[start : start + PUBLISH_CHUNK]
        with tempfile.TemporaryDirectory(prefix="jssync-publish-") as tmp:
            products, sales = Path(tmp) / "products.csv", Path(tmp) / "sales.csv"
            if guard is not None:
                guard.check()  # no lock, no export
            _export_owed(staging_conn, staging_prefix, chunk, products, sales)
            policy = retrying.policy(
                stop=tenacity.stop_after_attempt(attempts) | _StopWhen(stopping),
                wait=pause,
                retry=tenacity.retry_if_not_exception_type(LockLost),  # a lost lock is final
                before_sleep=note,
            )
            try:
                kept = policy(apply_production, production, products, sales, guard, bounded)
            except LockLost:
                raise
            except Exception as exc:
                if stopping():
                    log.debug("production merge given up: the run is stopping (%s)", first_line(exc))
                    result.stopped = True
                    return result
                result.attempts += policy.statistics.get("attempt_number", attempts)
                note_final = first_line(exc)
                log.debug(
                    "ERROR: production attempt %d of %d failed: %s",
                    attempts,
                    attempts,
                    note_final,
                    extra={"step": "Publish"},
                )
                result.error = f"Production merge failed after {attempts} attempts: {note_final}"
                return result
            result.attempts += policy.statistics.get("attempt_number", 1)
            log.debug(
                "Production: merge successful on attempt %d",
                policy.statistics.get("attempt_number", 1),
                extra={"step": "Publish"},
            )
        with staging_conn, staging_conn.cursor() as cur:
            if guard is not None:
                guard.check_in(cur)
            run_model(cur, "mark_outbox_applied", "staging", staging_prefix, {"outbox_ids": chunk})
        result.applied.extend(chunk)
        result.pending -= len(chunk)
        result.kept_newer += len(kept)
    return result


def _export_owed(conn, prefix: str, ids: list[int], products: Path, sales: Path) -> None:
    params = {"outbox_ids": ids}
    with conn, conn.cursor() as cur:
        with products.open("w") as sink:
            copy_out(cur, render("publish_product_data", "staging", prefix), params, sink)
        with sales.open("w") as sink:
            copy_out(cur, render("publish_sales_estimate_data", "staging", prefix), params, sink)


class _StopWhen(tenacity.stop.stop_base):
    """Stop retrying once `test()` is true (the run is stopping)."""

    def __init__(self, test: Callable[[], bool]):
        self.test = test

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.test()


def apply_production(
    settings: DbSettings,
    products: Path,
    sales: Path,
    guard: LockGuard | None = None,
    bounded: Callable[[Callable[[], object]], contextlib.AbstractContextManager] | None = None,
) -> list[KeptRow]:
    """Upsert staging's rows (CSV files in production's input-table column order) into production
    in one transaction, one writer at a time (publish_lock), through the production models:
    publish, catch-up and `verify --repair` all write production this way; with `guard`, only if
    the run still holds the sync lock when it commits; with `bounded`, inside it (a stopping run
    cancels it when its time is up). Returns the rows production kept because another writer's
    copy was newer (also named, up to KEPT_NAMED, in one log line per table)."""
    prefix = settings.prefix
    bounded = bounded or (lambda cancel: contextlib.nullcontext())
    with connection(settings, application_name="jssync-publish") as conn, bounded(conn.cancel):

        def work(cur) -> list[KeptRow]:
            run_model(cur, "publish_lock", "production", prefix, {"prefix": prefix})
            run_model(cur, "input_tables", "production", prefix)
            with products.open() as source:
                copy_in(cur, "in_product_data", [*PRODUCT_INPUT, "created_at"], source)
            with sales.open() as source:
                copy_in(cur, "in_sales_estimate_data", [*SALES_INPUT, "updated_at", "created_at"], source)
            kept = []
            for model in ("product_data", "sales_estimate_data"):
                run_model(cur, model, "production", prefix)
                kept += [KeptRow(f"jungle_scout_{model}", *row) for row in cur.fetchall()]
            if guard is not None:
                guard.check()  # the last step before commit: a run that lost its lock writes nothing
            return kept

        kept = in_transaction(conn, work, what="production merge")
    _log_kept(kept)
    return kept


def _log_kept(kept: list[KeptRow]) -> None:
    for table in sorted({row.table for row in kept}):
        rows = [row for row in kept if row.table == table]
        more = f" and {len(rows) - KEPT_NAMED} more" if len(rows) > KEPT_NAMED else ""
        log.info(
            "production kept %d %s rows newer than staging's (another writer's copy): %s%s",
            len(rows),
            table,
            "; ".join(row.describe() for row in rows[:KEPT_NAMED]),
            more,
            extra={"step": "Publish"},
        )
