"""`jssync catch-up`: apply to production every merge staging committed and production has not.

Every sync does this first anyway; this command does only this, e.g. right after an outage.
`--full` brings production level with staging without the outbox: after staging-only runs (which
write none), or for a production restored from an old backup. It migrates production, copies every
staging row of the ASINs whose checksums differ (loaders/level.py) in batches with a progress line
each, marks the outbox entries pending at its start applied, and checks that nothing differs."""

from __future__ import annotations

import logging

import psycopg2

from extract.text import first_line
from loaders import level
from loaders.connections import DatabaseUnavailable
from loaders.lock import LockLost
from loaders.merge import pending_outbox
from loaders.migrate import MigrationError, migrate
from sync.config import STAGING_ONLY, Config
from sync.publishing import catch_up
from sync.run import StopSync, SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.catchup")
FLOW = "CATCH_UP"


def run_catch_up(config: Config) -> SyncStatus:
    """Publish pending merges to production under the sync lock; returns the status.

    Raises SyncAlreadyRunning when another sync holds the lock."""
    with SyncRun(config, "catch-up", "us", FLOW, summary=_summary) as run:
        catch_up(run)
        if run.status.production_pending:
            raise StopSync(f"Production is still owed {run.status.production_pending} merges", "db")
    return run.status


def run_full_catch_up(config: Config) -> SyncStatus:
    """Bring production level with staging under the sync lock (see the module's docstring);
    returns the status, whose `production_catch_up.full` tells what was copied.

    Raises SyncAlreadyRunning when another sync holds the lock; ValueError when staging-only."""
    if config.production is None:
        raise ValueError(f"{STAGING_ONLY}: set DB_PROD_* to bring production level with staging")
    with SyncRun(config, "catch-up", "us", FLOW, summary=_summary) as run:
        _full(run)
    return run.status


def _full(run: SyncRun) -> None:
    run.require_staging()
    config, status = run.config, run.status
    try:
        result = migrate(config.production)
        if result.applied:
            log.info("production: %d migrations applied first (%s)", len(result.applied), ", ".join(result.applied))
        owed = pending_outbox(run.staging, config.staging.prefix)  # the copy covers them
    except (MigrationError, DatabaseUnavailable, psycopg2.Error) as exc:
        raise StopSync(f"Production catch-up could not start: {first_line(exc)}") from exc
    full: dict = {"ran": True}
    status.production_catch_up = {"ran": True, "applied": 0, "full": full}

    def progress(p: level.Progress) -> None:
        full.update(p.as_dict())
        run.save()
        log.info(
            "catch-up --full: %s %d of %d ASINs, %d rows copied in %d batches (%d rows/s)",
            p.table,
            p.asins_done,
            p.asins,
            p.rows,
            p.batches,
            p.rows_per_second,
        )

    try:
        done = level.level(config.staging, config.production, on_batch=progress, guard=run.lock_guard())
        full.update(done.as_dict())
        status.production_kept_newer += done.kept_newer
        left = level.still_differing(config.staging, config.production)
    except LockLost as exc:  # as every other write: a run without its lock writes nowhere
        raise StopSync(str(exc), "other") from exc
    except (DatabaseUnavailable, psycopg2.Error) as exc:
        raise StopSync(f"Production catch-up failed: {first_line(exc)}; run it again to go on") from exc
    full["differing_after"] = left
    if owed:
        run.query("mark_outbox_applied", {"outbox_ids": owed})
        status.production_catch_up["applied"] = len(owed)
    run.query("production_missed_clear")
    log.info(
        "catch-up --full: %d rows copied in %.1fs (%d rows/s); %s",
        done.rows,
        done.seconds,
        done.rows_per_second,
        "production is level with staging" if not left else f"{left} ASINs still differ (see jssync verify)",
    )
    if left:
        status.warnings.append(f"after the full catch-up {left} ASINs still differ between staging and production")


def _summary(status: SyncStatus) -> None:
    log.info(
        "catch-up %s: %d merges applied, %d still pending",
        "stopped" if status.stopped_early else "completed",
        status.production_catch_up.get("applied", 0),
        status.production_pending,
    )
