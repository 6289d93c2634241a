"""The Cloud Run Job endpoints (X-API-KEY): run an hourly sync, read the last one."""

from __future__ import annotations

from flask import Blueprint, request

from api import validation
from api.auth import require_api_key
from api.db import config, conflict, latest_status
from sync.guard import SyncAlreadyRunning
from sync.hourly import run_hourly
from sync.status import SyncStatus

bp = Blueprint("hourly", __name__)


@bp.post("/admin/hourly-sync")
@require_api_key
def hourly_sync():
    """Run one hourly sync to completion; 200 with its status, 409 when a sync is running."""
    validation.known(request.args, ("marketplace", "debug"))
    marketplace = validation.marketplace(request.args)
    debug = validation.debug(request.args)
    try:
        # debug shows this run's step log only: a filter on the run's log context, not the level
        # of the worker's logger, so concurrent requests keep their own verbosity.
        status = run_hourly(config(), marketplace, debug=debug)
    except SyncAlreadyRunning as exc:
        raise conflict(exc) from None
    if status.stopped_early:
        return {"message": "Hourly sync stopped early", "error": status.stop_reason, "status": status.as_dict()}, 503
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
