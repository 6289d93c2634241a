"""One batch of a sync, one way: extract (API -> dlt -> DuckDB landing) -> merge into staging
(one transaction with sync_status and the production outbox) -> publish to production.

A batch cut short (SIGTERM, SIGINT, or the run's time allowance ending mid-batch) still lands and
merges what it fetched: the ASINs it finished, and the product data of those whose sales had not
come (a sales gap for the next run); the others are simply still due. After a signal the merge in
hand commits or, past RunStop.guard's time, is cancelled and rolls back; publishing is left to
the next run, and the batch raises StopSync naming the signal.
"""

from __future__ import annotations

import logging

import psycopg2

from extract import ALWAYS_CREATED, jungle_scout_source
from extract.fetch import NOT_ATTEMPTED, AsinOutcome, AsinWork, BatchFetcher
from extract.landing import LandingError
from extract.settings import NOT_FOUND_ERROR
from extract.stopping import NotStarted
from extract.text import first_line
from loaders.connections import DatabaseUnavailable
from loaders.lock import LockLost
from loaders.merge import StagingTransaction, merge_staging
from sync import archiving, families
from sync.publishing import note_missed, publish_pending
from sync.run import StopSync, SyncRun
from sync.status import SyncStatus, utcnow

log = logging.getLogger("jssync.sync")


def process_batch(
    run: SyncRun,
    work: list[AsinWork],
    batch: int,
    *,
    fetch_products: bool = True,
    fetch_sales: bool = True,
    date_range: str = "1year",
    mark_master_queue: bool = False,
) -> list[AsinOutcome]:
    """Extract, land, merge into staging, publish to production; returns the outcomes.

    `mark_master_queue`: the staging transaction also marks these ASINs done in the master queue."""
    run.require_staging()
    run.check_stop()
    status = run.status
    fetcher = BatchFetcher(
        run.api_client(),
        run.marketplace,
        status.started_at.date(),
        max_concurrency=run.config.max_concurrency,
        fetch_products=fetch_products,
        fetch_sales=fetch_sales,
        date_range=date_range,
        sharing=families.sharing(run),
        stop=run.stop,
    )
    batch_row = {
        "run_id": status.run_id,
        "kind": run.kind,
        "marketplace": run.marketplace,
        "batch": batch,
        "asins": len(work),
        "started_at": utcnow().replace(tzinfo=None),
    }
    try:
        landing = run.open_landing()
        load = landing.land(jungle_scout_source(fetcher.run(work), batch_row, create=ALWAYS_CREATED - landing.tables()))
    except LandingError as exc:
        raise _stop_within(exc) or StopSync(str(exc), "other") from exc
    status.landing["load_id"] = load.load_id
    log.debug("Storing %d ASINs to staging (load %s)...", len(work), load.load_id, extra={"step": "SyncASINs"})
    txn = StagingTransaction(
        run_id=status.run_id,
        lock_pid=run.lock.pid if run.lock else None,
        mark_master_queue=mark_master_queue,
        record_outbox=not run.config.staging_only,  # no outbox piling up for a production that never comes
        archive=archiving.prepare(run, load),  # LANDING_ARCHIVE_URL: the load's files, kept with the merge
    )
    try:
        with run.stop.guard(run.staging.cancel):
            merged = merge_staging(run.staging, run.config.staging.prefix, landing, load, txn)
    except NotStarted as exc:
        raise StopSync(f"{exc}: the batch in hand was not merged (its ASINs stay due)", "other") from exc
    except (psycopg2.Error, DatabaseUnavailable) as exc:
        if run.stop.requested:
            raise StopSync(
                f"{run.stop.reason}; the merge in hand was rolled back ({first_line(exc)})", "other"
            ) from exc
        raise StopSync(f"Staging merge failed: {first_line(exc)}") from exc
    except LockLost as exc:
        raise StopSync(str(exc), "other") from exc
    log.debug(
        "Staging: merged %d product rows, %d sales rows, %d sync_status rows",
        merged.products,
        merged.sales,
        merged.outcomes,
        extra={"step": "SyncASINs"},
    )
    outcomes = list(fetcher.outcomes.values())
    unfinished = fetcher.unfinished
    run.unfinished += len(unfinished)
    if unfinished:
        log.warning(
            "batch %d cut short (%s): %d of %d ASINs finished, %d left for the next run",
            batch,
            run.stop.why(),
            len(work) - len(unfinished),
            len(work),
            len(unfinished),
        )
    tally(status, outcomes)
    families.add_tally(status, fetcher.family)
    status.total_api_calls = run.usage.total
    run.record_usage()
    if run.config.staging_only:
        note_missed(run, merged)  # no production step: staging remembers what production lacks
    else:
        publish_pending(run)  # after a signal only counted: production waits for the next run
    run.check_stop()  # a signal: the merge is in; production and the archive wait for the next run
    archiving.upload_pending(run)
    run.save()
    return outcomes


def _stop_within(exc: BaseException) -> StopSync | None:
    """A StopSync raised while the batch was being fetched (a staging query of the family
    sales), which the landing wrapped: the run stops for that reason, not for the landing."""
    while exc is not None:
        if isinstance(exc, StopSync):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def tally(status: SyncStatus, outcomes: list[AsinOutcome]) -> None:
    """Add a batch's outcomes to the run's counters and error samples."""
    for outcome in outcomes:
        if NOT_ATTEMPTED in (outcome.product_status, outcome.sales_status):
            status.not_attempted_asins += 1
        if not outcome.landed:
            continue  # nothing happened to it (refused, or cut short): not processed, not counted
        status.total_asins_processed += 1
        if outcome.kind == "new":
            status.new_asins_synced += 1
        elif outcome.kind == "stale":
            status.stale_asins_synced += 1
        elif outcome.kind == "sales_gap":
            status.sales_gap_asins_synced += 1
        if outcome.product_status == "found":
            status.successful_product_sync += 1
        if outcome.sales_status in ("synced", "no_data", "current"):
            status.successful_sales_sync += 1
        if outcome.failed:
            status.failed_asins += 1
        if outcome.error and outcome.error != NOT_FOUND_ERROR:
            status.errors.add(outcome.error_category or "other", outcome.error)
