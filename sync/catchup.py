"""`jssync catch-up`: apply to production every merge staging committed and production has not.

Every sync does this first anyway; this command does only this, e.g. right after an outage."""

from __future__ import annotations

import logging

from loaders.connections import DatabaseUnavailable
from sync.config import Config
from sync.runner import StopSync, SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.catchup")
FLOW = "CATCH_UP"


def run_catch_up(config: Config) -> SyncStatus:
    """Publish pending merges to production under the sync lock; returns the status.

    Raises SyncAlreadyRunning when another sync holds the lock."""
    run = SyncRun(config, "catch-up", "us", FLOW)
    status = run.status
    try:
        run.open()
    except DatabaseUnavailable as exc:
        status.stop(f"Staging database unreachable: {exc}")
        run.close()
        return status
    try:
        run.catch_up()
        if status.production_pending:
            status.stop(f"Production is still owed {status.production_pending} merges", "db")
    except StopSync as exc:
        status.stop(str(exc), exc.category)
    finally:
        run.close()
    log.info("catch-up %s: %d merges applied, %d still pending",
             "stopped" if status.stopped_early else "completed",
             status.production_catch_up.get("applied", 0), status.production_pending)
    return status
