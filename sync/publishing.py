"""Publishing a run's merges to production: every staging merge leaves an outbox row, and this
applies what production is owed (after each batch, and first thing in every sync)."""

from __future__ import annotations

import logging

import psycopg2

from extract.text import first_line
from loaders.merge import pending_outbox, publish
from sync.run import StopSync, SyncRun

log = logging.getLogger("jssync.sync")


def catch_up(run: SyncRun) -> None:
    """Apply to production every merge staging committed and production has not."""
    publish_pending(run, catch_up=True)


def publish_pending(run: SyncRun, *, catch_up: bool = False) -> None:
    """Apply pending merges to production; after one failure this run only counts them."""
    run.require_staging()
    status, prefix = run.status, run.config.staging.prefix
    try:
        if not run.production_ok:
            status.production_pending = len(pending_outbox(run.staging, prefix))
            return
        result = publish(run.staging, prefix, run.config.production)
    except psycopg2.Error as exc:
        raise StopSync(f"Reading the production outbox from staging failed: {first_line(exc)}") from exc
    status.production_pending = result.pending
    if catch_up and result.applied:
        status.production_catch_up = {"ran": True, "applied": len(result.applied)}
        log.info("production catch-up applied %d pending merges", len(result.applied))
    if result.error:
        run.production_ok = False  # one outage costs one set of retries per run, not per batch
        status.errors.add("db", result.error)
        log.warning("%s; %d merges stay pending for the next sync", result.error, result.pending)
