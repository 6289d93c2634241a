"""`jssync catch-up`: apply to production every merge staging committed and production has not.

Every sync does this first anyway; this command does only this, e.g. right after an outage."""

from __future__ import annotations

import logging

from sync.config import Config
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


def _summary(status: SyncStatus) -> None:
    log.info(
        "catch-up %s: %d merges applied, %d still pending",
        "stopped" if status.stopped_early else "completed",
        status.production_catch_up.get("applied", 0),
        status.production_pending,
    )
