"""`jssync verify`: prove production mirrors staging, and repair it when it does not.

Runs under the one-sync lock (staging is at rest while it reads), is recorded in staging's run
history as kind `verify` (its status object holds the result, so the last one is always
retrievable) and reported to Discord. The comparison itself is in loaders/verify.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from extract.text import first_line
from loaders import verify as checks
from sync import report
from sync.config import Config
from sync.run import StopSync, SyncRun
from sync.status import SyncStatus, iso

log = logging.getLogger("jssync.verify")
FLOW = "VERIFY"
MAX_REPORTED = 20  # drifted ASINs named in the Discord report; the rest are counted


RESULT_KEYS = ("in_sync", "compared", "drift", "repaired", "seconds", "newer_in_production", "production_kept_newer")


def result_fields(result: dict) -> dict:
    """The answer of `verify --json` and POST /admin/verify: exactly these keys (a result saved
    before issue 19 has no newer_in_production: none)."""
    return {key: result.get(key, [] if key == "newer_in_production" else 0) for key in RESULT_KEYS}


@dataclass
class VerifyStatus(SyncStatus):
    """A verify's status: what was compared, the drift found, what was repaired."""

    repair: bool = False
    delete_extra: bool = False
    in_sync: bool | None = None
    compared: dict = field(default_factory=dict)
    drift: list = field(default_factory=list)
    # Another writer's newer rows in production (issue 19): not drift, never repaired or deleted;
    # their rows (and any a repair's upsert kept) are counted in production_kept_newer.
    newer_in_production: list = field(default_factory=list)
    repaired: int = 0
    deleted: int = 0
    seconds: float = 0.0
    bytes_read: dict = field(default_factory=dict)
    buckets_differing: dict = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        if self.is_running:
            return "running"
        if self.stopped_early:
            return "stopped"
        return "success" if self.in_sync and not self.drift else "failures"

    def as_dict(self) -> dict:
        """The verify's record in the run history (and run_verify's answer)."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "marketplace": self.marketplace,
            "outcome": self.outcome,
            "is_running": self.is_running,
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "repair": self.repair,
            "delete_extra": self.delete_extra,
            "in_sync": self.in_sync,
            "compared": self.compared,
            "drift": self.drift,
            "newer_in_production": self.newer_in_production,
            "production_kept_newer": self.production_kept_newer,
            "repaired": self.repaired,
            "deleted": self.deleted,
            "seconds": self.seconds,
            "bytes_read": self.bytes_read,
            "buckets_differing": self.buckets_differing,
            "stopped_early": self.stopped_early,
            "stop_reason": self.stop_reason,
            "lock_pid": self.lock_pid,
        }


def run_verify(
    config: Config,
    *,
    repair: bool = False,
    delete_extra: bool = False,
    marketplace: str | None = None,
    buckets: int = checks.DEFAULT_BUCKETS,
) -> dict:
    """Compare (and with `repair` / `delete_extra` fix) production against staging, as a run
    under the sync lock: recorded in the run history, reported to Discord.

    Returns the run's status object (the result keys plus run bookkeeping); a verify that could
    not run (staging or production down) says so in `stop_reason`. Raises SyncAlreadyRunning
    while a sync holds the lock."""
    run = SyncRun(
        config, "verify", marketplace or "all", FLOW, summary=_summary, status_class=VerifyStatus, embed=_embed
    )
    status = run.status
    status.repair, status.delete_extra = repair, delete_extra
    with run:  # staging at rest while it reads; refused during a sync
        run.require_staging()
        clock = time.perf_counter()
        try:
            _compare(run, status, repair=repair, delete_extra=delete_extra, marketplace=marketplace, buckets=buckets)
        except Exception as exc:  # recorded, reported and answered; never a raw traceback
            status.in_sync = False
            raise StopSync(f"Verify failed: {first_line(exc)}") from exc
        finally:
            status.seconds = round(time.perf_counter() - clock, 3)
    return status.as_dict()


def _compare(
    run: SyncRun, status: VerifyStatus, *, repair: bool, delete_extra: bool, marketplace: str | None, buckets: int
) -> None:
    config, guard = run.config, run.lock_guard()  # a repair writes production only under the lock
    staging = checks.Reader(config.staging)
    try:
        production = checks.Reader(config.production)
    except Exception:
        staging.close()
        raise
    try:
        drifts = [
            checks.compare_table(staging, production, t, buckets=buckets, marketplace=marketplace)
            for t in checks.TABLES
        ]
        status.compared = {d.table.name: {"rows": d.rows, "asins": d.asins} for d in drifts}
        status.buckets_differing = {d.table.name: d.buckets_differing for d in drifts}
        status.drift = [entry for d in drifts for entry in d.entries()]
        status.newer_in_production = [entry for d in drifts for entry in d.newer_entries()]
        status.production_kept_newer = sum(e["rows"] for e in status.newer_in_production)
        if status.newer_in_production:
            log.info(
                "verify: production keeps %d rows of %d ASINs newer than staging's (another writer's)",
                status.production_kept_newer,
                len({e["asin"] for e in status.newer_in_production}),
            )
        in_sync = not status.drift
        if not in_sync and (repair or delete_extra):
            for drift in drifts:
                if repair:
                    status.repaired += checks.repair(staging, config.production, drift, guard)
                    status.production_kept_newer += drift.kept_newer
                if delete_extra:
                    status.deleted += checks.delete_extra(config.production, drift, guard)
            # Check again: the answer says whether the repair left the targets in sync.
            again = [
                checks.compare_table(staging, production, t, buckets=buckets, marketplace=marketplace)
                for t in checks.TABLES
            ]
            in_sync = not any(d.entries() for d in again)
        status.in_sync = in_sync
    finally:
        status.bytes_read = {"staging": staging.bytes_read, "production": production.bytes_read}
        staging.close()
        production.close()


def _summary(status: SyncStatus) -> None:
    log.info(
        "verify: %s, %d drift entries, %d rows repaired, %d deleted in %.1fs",
        "in sync" if status.in_sync else "drift",
        len(status.drift),
        status.repaired,
        status.deleted,
        status.seconds,
    )


def human(status: dict) -> str:
    """The human answer: per table, what was compared, then each drifted ASIN."""
    lines = []
    for table, counts in status["compared"].items():
        lines.append(f"{table}: {counts['rows']} rows, {counts['asins']} ASINs compared")
    for entry in status["drift"] + status.get("newer_in_production", []):
        columns = f" ({', '.join(entry['columns'])})" if entry["columns"] else ""
        lines.append(f"  {entry['table']} {entry['asin']}: {entry['kind']}, {entry['rows']} rows{columns}")
    if status.get("production_kept_newer"):
        lines.append(
            f"{status['production_kept_newer']} production rows are newer than staging's (another writer's): "
            "not drift, left as they are"
        )
    if status["stopped_early"]:
        lines.append(status["stop_reason"])
    elif status["in_sync"] and not status["drift"]:
        lines.append("in sync")
    else:
        lines.append(f"{len(status['drift'])} drifted (ASIN, kind) entries")
    if status["repair"] or status["delete_extra"]:
        lines.append(
            f"repaired {status['repaired']} rows, deleted {status['deleted']} extra rows; "
            + ("now in sync" if status["in_sync"] else "still drifted")
        )
    lines.append(
        f"{status['seconds']:.1f}s, read {status['bytes_read'].get('staging', 0)} bytes from staging, "
        f"{status['bytes_read'].get('production', 0)} from production"
    )
    return "\n".join(lines)


def _embed(status: SyncStatus) -> dict:
    """The Discord embed: green in sync, yellow drift (named), red failed (SyncRun sends it, scrubbed)."""
    result = status.as_dict()
    colour = {"success": report.GREEN, "failures": report.YELLOW}.get(result["outcome"], report.RED)
    named = [
        f"{e['asin']} {e['kind']} ({e['table'].removeprefix('jungle_scout_')})" for e in result["drift"][:MAX_REPORTED]
    ]
    more = len(result["drift"]) - len(named)
    fields = [
        {"name": table, "value": f"{c['rows']} rows, {c['asins']} ASINs", "inline": True}
        for table, c in result["compared"].items()
    ]
    fields += [
        {"name": "Repaired", "value": f"{result['repaired']} rows", "inline": True},
        {"name": "Deleted", "value": f"{result['deleted']} rows", "inline": True},
        {"name": "Duration", "value": report.duration_text(result["seconds"]), "inline": True},
    ]
    if named:
        fields.append(
            {"name": "Drift", "value": "\n".join(named) + (f"\n… and {more} more" if more > 0 else ""), "inline": False}
        )
    if result["production_kept_newer"]:
        newer_asins = len({e["asin"] for e in result["newer_in_production"]})
        fields.append(
            {
                "name": "Newer in production (kept)",
                "value": f"{result['production_kept_newer']} rows of {newer_asins} ASINs: another writer's",
                "inline": False,
            }
        )
    headline = result["stop_reason"] or (
        "In sync"
        if result["in_sync"] and not result["drift"]
        else "Production drifted" + (", repaired" if result["in_sync"] else "")
    )
    return {
        "title": "JungleScout Verify",
        "description": headline,
        "color": colour,
        "fields": fields,
        "footer": {"text": f"run {result['run_id']}"},
    }
