"""Manual syncs (JWT admin): product data only, or sales estimates only, run to completion, for
every visible ASIN, a JSON list, or an ASIN file (a text/csv body or a multipart field `file`)."""

from __future__ import annotations

from flask import Blueprint, request

from api import validation
from api.auth import require_admin
from api.db import config, conflict
from sync.guard import SyncAlreadyRunning
from sync.manual import run_manual

bp = Blueprint("manual", __name__)


def _run(kind: str, done: str):
    validation.known(request.args, ("marketplace",))
    marketplace = validation.marketplace(request.args)
    asins, listed = validation.asin_input(request)
    try:
        status = run_manual(config(), kind, marketplace, asins)
    except SyncAlreadyRunning as exc:
        raise conflict(exc) from None
    extra = {} if listed is None else {"asin_file": listed.summary()}  # what the file held: ASINs, duplicates
    if status.stopped_early:
        return {
            "message": f"{done} stopped early",
            "error": status.stop_reason,
            "status": status.as_dict(),
            **extra,
        }, 503
    return {"message": f"{done} completed", "status": status.as_dict(), **extra}


@bp.post("/admin/sync-product-database")
@require_admin
def sync_product_database():
    """Product data only, for the body's ASINs or every visible ASIN; 200 with the status."""
    return _run("product", "Product database sync")


@bp.post("/admin/sync-jungle-scout")
@require_admin
def sync_jungle_scout():
    """Sales estimates only, for the body's ASINs or every visible ASIN; 200 with the status."""
    return _run("sales", "Sales estimate sync")
