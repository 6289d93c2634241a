"""`jssync verify`: prove production mirrors staging, and repair it when it does not.

Runs under the one-sync lock (staging is at rest while it reads), is recorded in staging's run
history as kind `verify` (its status object holds the result, so the last one is always
retrievable) and reported to Discord. The comparison itself is in loaders/verify.py.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import psycopg2

from extract.text import Scrubber, first_line
from loaders import verify as checks
from loaders.connections import connect
from loaders.execute import run_model
from sync import logs, report
from sync.config import Config
from sync.guard import SyncLock
from sync.status import iso, utcnow

log = logging.getLogger("jssync.verify")
FLOW = "VERIFY"
MAX_REPORTED = 20  # drifted ASINs named in the Discord report; the rest are counted


RESULT_KEYS = ("in_sync", "compared", "drift", "repaired", "seconds", "newer_in_production", "production_kept_newer")


def result_fields(result: dict) -> dict:
    """The answer of `verify --json` and POST /admin/verify: exactly these keys."""
    return {key: result.get(key, [] if key == "newer_in_production" else 0) for key in RESULT_KEYS}


def run_verify(
    config: Config,
    *,
    repair: bool = False,
    delete_extra: bool = False,
    marketplace: str | None = None,
    buckets: int = checks.DEFAULT_BUCKETS,
) -> dict:
    """Compare (and with `repair` / `delete_extra` fix) production against staging.

    Returns the run's status object (the result keys plus run bookkeeping). Raises
    SyncAlreadyRunning while a sync holds the lock, DatabaseUnavailable when staging is down."""
    run_id = str(uuid.uuid4())
    before = logs.set_context(FLOW, run_id)
    try:
        with SyncLock(config.staging) as lock:  # staging at rest while it reads; refused during a sync
            status = _verify_locked(
                config,
                run_id,
                lock.pid,
                repair=repair,
                delete_extra=delete_extra,
                marketplace=marketplace,
                buckets=buckets,
            )
        _notify(config, status)
        log.info(
            "verify: %s, %d drift entries, %d rows repaired, %d deleted in %.1fs",
            "in sync" if status["in_sync"] else "drift",
            len(status["drift"]),
            status["repaired"],
            status["deleted"],
            status["seconds"],
        )
    finally:
        logs.restore_context(before)
    return status


def _verify_locked(
    config: Config,
    run_id: str,
    lock_pid: int | None,
    *,
    repair: bool,
    delete_extra: bool,
    marketplace: str | None,
    buckets: int,
) -> dict:
    started, clock = utcnow(), time.perf_counter()
    status: dict = {
        "run_id": run_id,
        "kind": "verify",
        "marketplace": marketplace or "all",
        "outcome": "running",
        "is_running": True,
        "started_at": iso(started),
        "completed_at": None,
        "repair": repair,
        "delete_extra": delete_extra,
        "in_sync": None,
        "compared": {},
        "drift": [],
        # Another writer's newer rows in production: not drift, never repaired or deleted.
        "newer_in_production": [],
        "production_kept_newer": 0,
        "repaired": 0,
        "deleted": 0,
        "seconds": 0.0,
        "bytes_read": {},
        "buckets_differing": {},
        "stopped_early": False,
        "stop_reason": "",
        "lock_pid": lock_pid,
    }
    scrub = Scrubber(config.secrets())
    history = connect(config.staging, application_name="jssync-verify")
    try:
        _save(history, config, status, started)
        try:
            _compare(config, status, repair=repair, delete_extra=delete_extra, marketplace=marketplace, buckets=buckets)
        except Exception as exc:  # recorded, reported and answered; never a raw traceback
            log.error("verify failed: %s", scrub(first_line(exc)))
            status.update(stopped_early=True, stop_reason=scrub(f"Verify failed: {first_line(exc)}"), in_sync=False)
        status["seconds"] = round(time.perf_counter() - clock, 3)
        status.update(is_running=False, completed_at=iso(utcnow()), outcome=_outcome(status))
        _save(history, config, status, started)
    finally:
        history.close()
    return status


def _compare(
    config: Config, status: dict, *, repair: bool, delete_extra: bool, marketplace: str | None, buckets: int
) -> None:
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
        status["compared"] = {d.table.name: {"rows": d.rows, "asins": d.asins} for d in drifts}
        status["buckets_differing"] = {d.table.name: d.buckets_differing for d in drifts}
        status["drift"] = [entry for d in drifts for entry in d.entries()]
        status["newer_in_production"] = [entry for d in drifts for entry in d.newer_entries()]
        status["production_kept_newer"] = sum(e["rows"] for e in status["newer_in_production"])
        if status["newer_in_production"]:
            log.info(
                "verify: production kept %d rows of %d ASINs newer than staging's (another writer's)",
                status["production_kept_newer"],
                len({e["asin"] for e in status["newer_in_production"]}),
            )
        in_sync = not status["drift"]
        if not in_sync and (repair or delete_extra):
            for drift in drifts:
                if repair:
                    status["repaired"] += checks.repair(staging, config.production, drift)
                    status["production_kept_newer"] += drift.kept_newer
                if delete_extra:
                    status["deleted"] += checks.delete_extra(config.production, drift)
            # Check again: the answer says whether the repair left the targets in sync.
            again = [
                checks.compare_table(staging, production, t, buckets=buckets, marketplace=marketplace)
                for t in checks.TABLES
            ]
            in_sync = not any(d.entries() for d in again)
        status["in_sync"] = in_sync
    finally:
        status["bytes_read"] = {"staging": staging.bytes_read, "production": production.bytes_read}
        staging.close()
        production.close()


def _outcome(status: dict) -> str:
    if status["stopped_early"]:
        return "stopped"
    return "success" if status["in_sync"] and not status["drift"] else "failures"


def _save(conn, config: Config, status: dict, started) -> None:
    """Write the status object to the run history (best effort: staging may be down)."""
    try:
        with conn, conn.cursor() as cur:
            run_model(
                cur,
                "save_run",
                "staging",
                config.staging.prefix,
                {
                    "run_id": status["run_id"],
                    "kind": "verify",
                    "marketplace": status["marketplace"][:10],
                    "started_at": started.replace(tzinfo=None),
                    "finished_at": None if status["is_running"] else utcnow().replace(tzinfo=None),
                    "outcome": status["outcome"],
                    "status": json.dumps(status),
                },
            )
    except psycopg2.Error as exc:
        log.warning("could not save the verify result to staging: %s", first_line(exc))


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


def _notify(config: Config, status: dict) -> None:
    """The Discord report: green in sync, yellow drift (named), red failed. Never raises."""
    if not config.discord_webhook_url:
        return
    colour = {"success": report.GREEN, "failures": report.YELLOW}.get(status["outcome"], report.RED)
    named = [
        f"{e['asin']} {e['kind']} ({e['table'].removeprefix('jungle_scout_')})" for e in status["drift"][:MAX_REPORTED]
    ]
    more = len(status["drift"]) - len(named)
    fields = [
        {"name": table, "value": f"{c['rows']} rows, {c['asins']} ASINs", "inline": True}
        for table, c in status["compared"].items()
    ]
    fields += [
        {"name": "Repaired", "value": f"{status['repaired']} rows", "inline": True},
        {"name": "Deleted", "value": f"{status['deleted']} rows", "inline": True},
        {"name": "Duration", "value": report.duration_text(status["seconds"]), "inline": True},
    ]
    if named:
        fields.append(
            {"name": "Drift", "value": "\n".join(named) + (f"\n… and {more} more" if more > 0 else ""), "inline": False}
        )
    if status.get("production_kept_newer"):
        newer_asins = len({e["asin"] for e in status.get("newer_in_production", [])})
        fields.append(
            {
                "name": "Newer in production (kept)",
                "value": f"{status['production_kept_newer']} rows of {newer_asins} ASINs: another writer's",
                "inline": False,
            }
        )
    headline = status["stop_reason"] or (
        "In sync"
        if status["in_sync"] and not status["drift"]
        else "Production drifted" + (", repaired" if status["in_sync"] else "")
    )
    embed = {
        "title": "JungleScout Verify",
        "description": headline,
        "color": colour,
        "fields": fields,
        "footer": {"text": f"run {status['run_id']}"},
    }
    payload = {"embeds": [report.fit_embed(Scrubber(config.secrets())(embed))], "allowed_mentions": {"parse": []}}
    delivery = report.send(config.discord_webhook_url, payload)
    if not delivery.sent:
        log.warning("Discord verify report failed: %s", delivery.reason)
