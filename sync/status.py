"""The status objects of a sync, field for field as the Go service's responses, plus extras."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

CATEGORIES = ("db", "api", "parse", "other")
MAX_SAMPLES = 5


def utcnow() -> dt.datetime:
    """Now, in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, as the Go service prints times."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ErrorSummary:
    """Errors counted by category with up to five sample messages. Thread-safe."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    samples: list[str] = field(default_factory=list)
    # Replaces secrets in error texts (a run sets it from its configuration).
    scrub: Callable[[str], str] = field(default=lambda text: text, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, category: str, message: str) -> None:
        """Count one error; `category` outside db/api/parse counts as other."""
        category = category if category in CATEGORIES else "other"
        with self._lock:
            self.counts[category] += 1
            if len(self.samples) < MAX_SAMPLES:
                self.samples.append(self.scrub(message)[:500])

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict:
        return {
            "db_errors": self.counts["db"],
            "api_errors": self.counts["api"],
            "parse_errors": self.counts["parse"],
            "other_errors": self.counts["other"],
            "sample_errors": list(self.samples),
        }


@dataclass
class SyncStatus:
    """One sync's progress and result. `as_dict` gives the Go service's fields first."""

    kind: str = "hourly"
    run_id: str = ""
    marketplace: str = "us"
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    is_running: bool = False
    stopped_early: bool = False
    stop_reason: str = ""
    total_asins_processed: int = 0
    new_asins_synced: int = 0
    stale_asins_synced: int = 0
    sales_gap_asins_synced: int = 0  # product current, sales fetched alone (issue 9)
    successful_product_sync: int = 0
    successful_sales_sync: int = 0
    failed_asins: int = 0
    cleaned_up_asins: int = 0
    new_asins_added: int = 0
    total_api_calls: int = 0
    # Master-sync progress.
    total_asins: int = 0
    current_batch: int = 0
    total_batches: int = 0
    date_range: str = "1year"
    sync_mode: str = ""
    # Beyond the Go service.
    production_pending: int = 0
    production_catch_up: dict = field(default_factory=lambda: {"ran": False, "applied": 0})
    api_usage: dict = field(default_factory=dict)
    landing: dict = field(default_factory=dict)
    # Issue 20: the landing archive (LANDING_ARCHIVE_URL): url (no credentials), files written by
    # this run, loads archived, pending_loads still waiting in staging; {} when no archive is set.
    archive: dict = field(default_factory=dict)
    lock_pid: int | None = None  # the staging backend holding the one-sync lock for this run
    # Issue 11: the catalogue's freshness, the month's request budget, the run's plan, and
    # warnings that make a completed run's report yellow (budget spent, freshness below SLA).
    freshness: dict = field(default_factory=dict)
    budget: dict = field(default_factory=dict)
    plan: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Issue 17: selected ASINs with a request the monthly budget refused (not sent: no failure,
    # no backoff, still due), the batches a spent budget kept from starting included.
    not_attempted_asins: int = 0
    # An hourly run's time allowance (sync.allowance): limit, margin, deadlines, whether it ran out.
    allowance: dict = field(default_factory=dict)
    # The per-run parity check: ASINs published this run and compared between the targets.
    parity: dict = field(default_factory=lambda: {"checked_asins": 0, "drifted_asins": []})
    # Variation families (issue 18): ASINs whose sales rows this run copied from their shared-rank
    # group's one call, and the audit of shared members fetched on their own.
    sales_shared_asins: int = 0
    family_audit: dict = field(default_factory=lambda: {"checked": 0, "mismatched": 0, "demoted_groups": 0})
    # Issue 19: production rows the publish left alone because another writer's copy was newer.
    production_kept_newer: int = 0
    # Issue 19: "disabled" when staging-only (DB_PROD_HOST empty), else "enabled"; the catalogue
    # the run read (table, columns, the meta table it came from, the table it switched from).
    production: str = "enabled"
    catalogue: dict = field(default_factory=dict)
    errors: ErrorSummary = field(default_factory=ErrorSummary)

    def stop(self, reason: str, category: str = "db") -> None:
        """Mark the run as stopped early; the reason is also a sample error."""
        if not self.stopped_early:
            self.stopped_early = True
            self.stop_reason = self.errors.scrub(reason)
            self.errors.add(category, reason)

    @property
    def outcome(self) -> str:
        """success, failures (completed with some), stopped or running."""
        if self.is_running:
            return "running"
        if self.stopped_early:
            return "stopped"
        if self.failed_asins or self.errors.total or self.production_pending or self.parity["drifted_asins"]:
            return "failures"
        return "success"

    def duration(self) -> float:
        end = self.completed_at or utcnow()
        return (end - self.started_at).total_seconds() if self.started_at else 0.0

    def as_dict(self) -> dict:
        """The hourly status object (Go "Hourly Sync Response" fields, then extras)."""
        body = {
            "total_asins_processed": self.total_asins_processed,
            "new_asins_synced": self.new_asins_synced,
            "stale_asins_synced": self.stale_asins_synced,
            "successful_product_sync": self.successful_product_sync,
            "successful_sales_sync": self.successful_sales_sync,
            "failed_asins": self.failed_asins,
            "cleaned_up_asins": self.cleaned_up_asins,
            "new_asins_added": self.new_asins_added,
            "total_api_calls": self.total_api_calls,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "is_running": self.is_running,
            "stopped_early": self.stopped_early,
            "stop_reason": self.stop_reason,
            "error_summary": self.errors.as_dict(),
            "sales_gap_asins_synced": self.sales_gap_asins_synced,
        }
        body.update(self._extras())
        return body

    def as_master_dict(self) -> dict:
        """The master status object (Go "Master Sync Status Response" fields, then extras)."""
        body = {
            "total_asins": self.total_asins,
            "processed_asins": self.total_asins_processed,
            "successful_product_sync": self.successful_product_sync,
            "successful_sales_sync": self.successful_sales_sync,
            "failed_asins": self.failed_asins,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "is_running": self.is_running,
            "current_batch": self.current_batch,
            "total_batches": self.total_batches,
            "date_range": self.date_range,
            "stopped_early": self.stopped_early,
            "total_api_calls": self.total_api_calls,
            "errors": list(self.errors.samples),
        }
        body.update(
            {"stop_reason": self.stop_reason, "sync_mode": self.sync_mode, "error_summary": self.errors.as_dict()}
        )
        body.update(self._extras())
        return body

    def _extras(self) -> dict:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "marketplace": self.marketplace,
            "outcome": self.outcome,
            "duration_seconds": round(self.duration(), 3),
            "production_pending": self.production_pending,
            "production_catch_up": dict(self.production_catch_up),
            "api_usage": dict(self.api_usage),
            "landing": dict(self.landing),
            "archive": dict(self.archive),
            "lock_pid": self.lock_pid,
            "freshness": dict(self.freshness),
            "budget": dict(self.budget),
            "plan": dict(self.plan),
            "warnings": list(self.warnings),
            "not_attempted_asins": self.not_attempted_asins,
            "allowance": dict(self.allowance),
            "parity": {
                "checked_asins": self.parity["checked_asins"],
                "drifted_asins": list(self.parity["drifted_asins"]),
            },
            "sales_shared_asins": self.sales_shared_asins,
            "family_audit": dict(self.family_audit),
            "production_kept_newer": self.production_kept_newer,
            "production": self.production,
            "catalogue": dict(self.catalogue),
        }
