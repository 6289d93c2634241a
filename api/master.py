"""The master sync endpoints (JWT admin): start one in the background, follow it."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, request

from api import validation
from api.auth import require_admin
from api.db import config, conflict, latest_status
from sync.guard import SyncAlreadyRunning
from sync.master import MasterSync
from sync.status import SyncStatus

bp = Blueprint("master", __name__)
log = logging.getLogger("jssync.api")


class BackgroundSyncs:
    """The threads running master syncs in this process.

    Daemon threads: a worker killed mid-sync must not hang on them. On SIGTERM their runs are
    asked to stop (sync.signals) and the worker joins them before it exits (api.server), so each
    closes as stopped early; either way progress lives in staging and `sync_mode=resume` continues."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, work: Callable[[], object], name: str) -> threading.Thread:
        # The thread inherits the request thread's log context: the run id of the sync it runs.
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(self._run, work), name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return thread

    @staticmethod
    def _run(work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:  # MasterSync.finish records its own errors; this is a last resort
            log.exception("background sync failed")

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every background sync; True when none is left running."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in threads)


def background(app: Flask) -> BackgroundSyncs:
    """The app's background syncs."""
    return app.extensions["jssync.background"]


@bp.post("/admin/master-sync")
@require_admin
def master_sync():
    """Start a master sync in the background: 202 with its status, 409 when a sync is running.

    The lock is taken here, before answering, so of two triggers at once exactly one starts."""
    validation.known(request.args, ("marketplace", "date_range", "sync_mode"))
    marketplace = validation.marketplace(request.args)
    date_range = validation.date_range(request.args)
    mode = validation.sync_mode(request.args)
    master = MasterSync(config(), marketplace, date_range=date_range, mode=mode)
    try:
        status = master.start()
    except SyncAlreadyRunning as exc:
        raise conflict(exc) from None
    if status.stopped_early:
        return {
            "message": "Master sync could not start",
            "error": status.stop_reason,
            "status": status.as_master_dict(),
        }, 503
    body = {"message": "Master sync started", "status": status.as_master_dict()}
    background(current_app).start(master.finish, name=f"master-sync-{status.run_id[:8]}")
    return body, 202


@bp.get("/admin/master-sync/status")
@require_admin
def master_status():
    """The running or last master sync, read from staging (any instance answers the same)."""
    validation.known(request.args, ())
    status = latest_status(("master",))
    if status is None:
        return {"message": "No master sync has run yet", "status": SyncStatus(kind="master").as_master_dict()}
    return {"status": status}
