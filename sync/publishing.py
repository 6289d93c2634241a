"""Publishing a run's merges to production: every staging merge leaves an outbox row, and this
applies what production is owed (after each batch, and first thing in every sync).

Staging-only (DB_PROD_HOST empty): no production step runs and no outbox row is written; staging
remembers instead that production missed merges (`note_missed`), and once production is
configured every sync warns until `jssync catch-up --full` has brought it level."""

from __future__ import annotations

import logging

import psycopg2

from extract.text import first_line
from loaders.connections import DatabaseUnavailable
from loaders.lock import LockLost
from loaders.merge import StagingMerge, pending_outbox, publish
from sync.run import StopSync, SyncRun

log = logging.getLogger("jssync.sync")


def catch_up(run: SyncRun) -> None:
    """Apply to production every merge staging committed and production has not."""
    publish_pending(run, catch_up=True)


FULL_CATCH_UP = "jssync catch-up --full"


def publish_pending(run: SyncRun, *, catch_up: bool = False) -> None:
    """Apply pending merges to production; after one failure this run only counts them.
    Staging-only: nothing (no production step runs)."""
    run.require_staging()
    if run.config.staging_only:
        return
    status, prefix = run.status, run.config.staging.prefix
    if catch_up:
        warn_if_missed(run)
    try:
        if not run.production_ok or run.stop.requested:  # a stopping run leaves it to the next
            status.production_pending = len(pending_outbox(run.staging, prefix))
            return
        result = publish(
            run.staging,
            prefix,
            run.config.production,
            guard=run.lock_guard(),
            stopping=lambda: run.stop.requested,
            bounded=run.stop.guard,
        )
    except LockLost as exc:  # as the staging merge: a run without its lock writes nowhere
        raise StopSync(str(exc), "other") from exc
    except psycopg2.Error as exc:
        raise StopSync(f"Reading the production outbox from staging failed: {first_line(exc)}") from exc
    status.production_pending = result.pending
    status.production_kept_newer += result.kept_newer
    if result.stopped:  # SIGTERM during the publish: what production was not given stays owed
        return
    if catch_up and result.applied:
        status.production_catch_up = {"ran": True, "applied": len(result.applied)}
        log.info("production catch-up applied %d pending merges", len(result.applied))
    if not result.error:  # with merges still pending, production may rightly lag
        check_parity(run, result.applied)
    if result.error:
        run.production_ok = False  # one outage costs one set of retries per run, not per batch
        status.errors.add("db", result.error)
        log.warning("%s; %d merges stay pending for the next sync", result.error, result.pending)


def check_parity(run: SyncRun, outbox_ids: list[int]) -> None:
    """Compare the ASINs just published between the targets (status `parity`); a drift is
    an error naming them. A check that cannot run is logged, never fatal."""
    if not outbox_ids:
        return
    from loaders.verify import parity  # the verify module is only needed after a publish

    status = run.status
    try:
        asins = [row[0] for row in run.query("outbox_asins", {"outbox_ids": outbox_ids})]
        drifted = parity(run.config.staging, run.config.production, asins)
    except (StopSync, psycopg2.Error, DatabaseUnavailable) as exc:
        log.warning("parity check skipped: %s", first_line(exc))
        return
    status.parity["checked_asins"] += len(asins)
    new = [a for a in drifted if a not in status.parity["drifted_asins"]]
    status.parity["drifted_asins"].extend(new)
    if new:
        more = f" and {len(new) - 20} more" if len(new) > 20 else ""
        status.errors.add("db", f"production differs from staging after publishing ASINs: {', '.join(new[:20])}{more}")
        log.warning("parity: production differs from staging for %d ASINs just published", len(new))


def note_missed(run: SyncRun, merged: StagingMerge) -> None:
    """Staging-only: a merge that wrote rows is one production misses; staging remembers it."""
    if merged.products or merged.sales:
        run.query("production_missed_record")


def warn_if_missed(run: SyncRun) -> None:
    """With production configured: warn (a yellow report) while production still lacks the merges
    of staging-only runs, saying how to bring it level."""
    rows = run.query("production_missed")
    if not rows:
        return
    since, until = rows[0]
    message = (
        f"production missed the merges of staging-only runs from {since:%Y-%m-%d %H:%M} to "
        f"{until:%Y-%m-%d %H:%M} UTC: bring it level with `{FULL_CATCH_UP}`"
    )
    run.status.warnings.append(message)
    log.warning("%s", message)
