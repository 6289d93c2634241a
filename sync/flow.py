"""The one skeleton every sync flow follows: catch-up, cleanup, add-new, budget, select, batches.

Hourly, master and manual differ only in what a Flow supplies: which ASINs a run takes, the
batch size, what a batch fetches, the master queue, and the lines that tell what happened. The
batch loop is `run_batches`, the one place a batch is started.
"""

from __future__ import annotations

import logging

from extract import settings
from extract.budget import SPENT_MESSAGE
from extract.fetch import AsinOutcome, AsinWork
from sync import pacing
from sync.batch import process_batch
from sync.publishing import catch_up
from sync.run import SyncRun


class Flow:
    """What one kind of sync supplies to the skeleton; the defaults are the plain case."""

    log = logging.getLogger("jssync.sync")
    batch_size = settings.PRODUCT_BATCH_SIZE
    # The Go service's step log (STEP 1: CLEANUP, [Cleanup] ..., [AddNew] ...), shown in debug.
    step_log = False

    # -- what differs between flows ----------------------------------------------------------
    def tidies(self, run: SyncRun) -> bool:
        """Whether the run first drops invisible ASINs and tracks new visible ones."""
        return True

    def prepare(self, run: SyncRun) -> None:
        """Work before the budget is read (the master sync fills its queue here)."""

    def plan(self, run: SyncRun, budget: pacing.BudgetState) -> None:
        """Decide how much the run takes, the month's budget in hand (the hourly sync's plan)."""

    def select(self, run: SyncRun) -> list[AsinWork]:
        """The ASINs this run syncs, in order."""
        raise NotImplementedError

    def fetch(self, run: SyncRun) -> dict:
        """process_batch's keyword arguments: what a batch fetches and marks."""
        return {}

    def nothing_due(self, run: SyncRun) -> None:
        """Said when the selection is empty."""

    def after_batch(self, run: SyncRun, number: int) -> None:
        """Called after each merged batch (the master sync's progress line)."""

    def done(self, run: SyncRun, outcomes: list[AsinOutcome]) -> None:
        """Called after the last batch with the not-found and failed outcomes."""

    def finish(self, run: SyncRun) -> None:
        """Called last, whatever happened, while the run's staging connection is still open."""

    # -- helpers ------------------------------------------------------------------------------
    def step(self, name: str, message: str, *args: object) -> None:
        if self.step_log:
            self.log.debug(message, *args, extra={"step": name})

    def say(self, message: str, *args: object) -> None:
        if self.step_log:
            self.log.debug(message, *args)


def run_flow(run: SyncRun, flow: Flow) -> None:
    """Run `flow` inside an open SyncRun: catch-up, cleanup, add-new, budget, select, batches."""
    try:
        _steps(run, flow)
    finally:
        flow.finish(run)


def _steps(run: SyncRun, flow: Flow) -> None:
    status = run.status
    catch_up(run)
    if flow.tidies(run):
        staging = run.config.staging
        flow.say("---------- STEP 1: CLEANUP ----------")
        catalogue = run.catalogue
        flow.say(
            "Removing ASINs with %s=false from sync_status...",
            catalogue.visibility_column if catalogue else "product_visibility",
        )
        flow.step("Cleanup", "Product table: %s", catalogue.table if catalogue else staging.prefix + "product")
        flow.step("Cleanup", "Staging sync table: %s", staging.prefix + "jungle_scout_sync_status")
        status.cleaned_up_asins = run.query("cleanup_invisible")[0][0]
        flow.step("Cleanup", "Staging: %d rows deleted", status.cleaned_up_asins)
        flow.step("Cleanup", "Production: nothing to delete (sync_status lives in staging only)")
        flow.say("Cleanup complete: %d ASINs removed", status.cleaned_up_asins)

        flow.say("---------- STEP 2: ADD NEW ASINs ----------")
        flow.say("Adding new visible ASINs to sync_status...")
        status.new_asins_added = run.query("add_new_visible")[0][0]
        flow.step("AddNew", "Staging: %d new ASINs inserted", status.new_asins_added)
        flow.say("New ASINs added to sync_status: %d", status.new_asins_added)
    flow.prepare(run)
    flow.say("---------- STEP 3: SELECT ASINs ----------")
    budget = pacing.arm(run)  # JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET: no request past what the month has left
    if budget.spent_out:
        status.warnings.append(SPENT_MESSAGE)
        flow.log.warning(
            "%s: %d of %d requests used this month; no API call this run", SPENT_MESSAGE, budget.spent, budget.monthly
        )
        return
    flow.plan(run, budget)
    work = flow.select(run)
    status.total_asins = len(work)
    status.total_batches = -(-len(work) // flow.batch_size)
    run.save()
    if not work:
        flow.nothing_due(run)
        return
    flow.done(run, run_batches(run, flow, work))


def run_batches(run: SyncRun, flow: Flow, work: list[AsinWork]) -> list[AsinOutcome]:
    """Fetch and merge `work` flow.batch_size ASINs at a time; stop starting batches once the
    run's time allowance is used up (a batch itself stops starting requests then, and merges
    what came) or the budget refused a request; a signal stops the run (StopSync) at the next
    batch or after the merge in hand. Returns the not-found and failed outcomes (the others are
    dropped batch by batch, so memory stays flat)."""
    status = run.status
    size = flow.batch_size
    outcomes: list[AsinOutcome] = []
    for number, (start, stop) in enumerate(_chunks(work, size), start=1):
        if run.time_up(len(work) - start):
            break
        status.current_batch = number
        run.save()
        chunk = process_batch(run, work[start:stop], number, **flow.fetch(run))
        outcomes.extend(o for o in chunk if o.product_status == "not_found" or o.failed)
        flow.after_batch(run, number)
        gate = run.budget
        if gate is not None and gate.spent_out:
            if SPENT_MESSAGE not in status.warnings:
                status.warnings.append(SPENT_MESSAGE)
            status.not_attempted_asins += len(work) - stop  # the batches not started
            break
    run.time_up(0)  # a last batch the deadline cut short: say what it left
    return outcomes


def _chunks(work: list[AsinWork], size: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch: `size` ASINs, a batch going on to the end of the shared-rank
    group it would otherwise split (the selection lists a group's members together)."""
    out, start = [], 0
    while start < len(work):
        stop = min(start + size, len(work))
        while 0 < stop < len(work) and work[stop].sales_group and work[stop].sales_group == work[stop - 1].sales_group:
            stop += 1
        out.append((start, stop))
        start = stop
    return out
