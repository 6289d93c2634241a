"""Manual syncs: product data only, or sales estimates only, for a list of ASINs or every
visible ASIN (the Go service's /admin/sync-product-database and /admin/sync-jungle-scout), or
both for a list (`jssync sync --asins FILE` without --only: kind `manual`). Listed ASINs need
not be in the catalogue: they are tracked in sync_status before anything is fetched, and a
cleanup keeps them until they have synced (queries/listed_asins_track.sql, macro listed_pending).

Sales ranges follow sync_status as in the hourly sync: an ASIN never synced gets a year ending
yesterday, one synced before gets the days since, and one already current makes no call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from extract import settings
from extract.fetch import AsinWork
from sync.config import Config
from sync.flow import Flow, run_flow
from sync.run import SyncRun
from sync.status import SyncStatus

log = logging.getLogger("jssync.manual")

BATCH_SIZE = settings.PRODUCT_BATCH_SIZE
KINDS = {"product": "PRODUCT_SYNC", "sales": "SALES_SYNC", "manual": "MANUAL_SYNC"}  # kind -> flow name in the logs
PARTS = {"product": (True, False), "sales": (False, True), "manual": (True, True)}  # kind -> (product, sales)


def run_manual(
    config: Config,
    kind: str,
    marketplace: str = "us",
    asins: Sequence[str] | None = None,
    *,
    on_progress: Callable[[SyncStatus], None] | None = None,
    debug: bool = False,
) -> SyncStatus:
    """Sync product data (`kind` product), sales estimates (`kind` sales) or both (`kind`
    manual, a list only) of `asins`, or of every visible ASIN when None; returns the status.
    `debug` shows this run's debug lines. Raises SyncAlreadyRunning."""
    if kind not in KINDS or (kind == "manual" and asins is None):
        raise ValueError(f"manual sync kind {kind!r} is not allowed: use product or sales (or manual with ASINs)")

    def summary(status: SyncStatus) -> None:
        log.info(
            "%s sync %s: %d ASINs processed, %d product, %d sales, %d failed, %d API calls%s",
            kind,
            "stopped early" if status.stopped_early else "completed",
            status.total_asins_processed,
            status.successful_product_sync,
            status.successful_sales_sync,
            status.failed_asins,
            status.total_api_calls,
            f" ({status.stop_reason})" if status.stop_reason else "",
        )

    with SyncRun(config, kind, marketplace, KINDS[kind], on_progress=on_progress, debug=debug, summary=summary) as run:
        run_flow(run, _Manual(kind, None if asins is None else list(dict.fromkeys(asins))))
    return run.status


class _Manual(Flow):
    """One side (product or sales) or both of the given ASINs, or one side of every visible one,
    100 at a time."""

    log = log
    batch_size = BATCH_SIZE

    def __init__(self, kind: str, asins: list[str] | None):
        self.kind, self.asins = kind, asins

    def tidies(self, run: SyncRun) -> bool:
        # Every visible ASIN: track the new ones first, as the hourly sync does.
        return self.asins is None

    def prepare(self, run: SyncRun) -> None:
        if self.asins is None:
            return
        # Listed ASINs, in the catalogue or not: tracked before any call, kept by cleanup until synced.
        fetch_products, fetch_sales = PARTS[self.kind]
        params = {"asins": self.asins, "wants_product": fetch_products, "wants_sales": fetch_sales}
        run.status.new_asins_added = run.query("listed_asins_track", {**params, "run_id": run.status.run_id})[0][1]

    def select(self, run: SyncRun) -> list[AsinWork]:
        rows = run.query("manual_asins", {"asins": self.asins})
        work = [AsinWork(asin, asin_kind, synced) for asin, asin_kind, synced in rows]
        log.debug("%s sync of %d ASINs in %d batches", self.kind, len(work), -(-len(work) // BATCH_SIZE))
        return work

    def fetch(self, run: SyncRun) -> dict:
        fetch_products, fetch_sales = PARTS[self.kind]
        return {"fetch_products": fetch_products, "fetch_sales": fetch_sales}
