"""The Cloud Run Job endpoints (X-API-KEY): run an hourly sync, read the last one."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from flask import Blueprint, request

from api import validation
from api.auth import require_api_key
from api.db import config, conflict, latest_status
from sync.guard import SyncAlreadyRunning
from sync.hourly import run_hourly
from sync.status import SyncStatus

bp = Blueprint("hourly", __name__)
_debug_lock = threading.Lock()
_debug_users = 0
_saved_level = logging.NOTSET


@contextlib.contextmanager
def debug_logging(enabled: bool) -> Iterator[None]:
    """The Go service's step log (`?debug=true`) for as long as a debug request runs."""
    global _debug_users, _saved_level
    if not enabled:
        yield
        return
    logger = logging.getLogger("jssync")
    with _debug_lock:
        if _debug_users == 0:
            _saved_level = logger.level
            logger.setLevel(logging.DEBUG)
        _debug_users += 1
    try:
        yield
    finally:
        with _debug_lock:
            _debug_users -= 1
            if _debug_users == 0:
                logger.setLevel(_saved_level)


@bp.post("/admin/hourly-sync")
@require_api_key
def hourly_sync():
    """Run one hourly sync to completion; 200 with its status, 409 when a sync is running."""
    validation.known(request.args, ("marketplace", "debug"))
    marketplace = validation.marketplace(request.args)
    debug = validation.debug(request.args)
    with debug_logging(debug):
        try:
            status = run_hourly(config(), marketplace, debug=debug)
        except SyncAlreadyRunning as exc:
            raise conflict(exc) from None
    if status.stopped_early:
        return {"message": "Hourly sync stopped early", "error": status.stop_reason,
                "status": status.as_dict()}, 503
    return {"message": "Hourly sync completed", "status": status.as_dict()}


@bp.get("/admin/hourly-sync/status")
@require_api_key
def hourly_status():
    """The running or last hourly sync, read from staging (any instance answers the same)."""
    validation.known(request.args, ())
    status = latest_status(("hourly",))
    if status is None:
        return {"message": "No hourly sync has run yet", "status": SyncStatus(kind="hourly").as_dict()}
    return {"status": status}
