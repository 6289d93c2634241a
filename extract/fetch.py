"""Fetching one batch: products (one POST per 100 ASINs, paged), then sales concurrently.

Rows come out as (table, row) pairs for the dlt source; each ASIN ends with an outcome row that
the merge turns into its sync_status update. Concurrency follows the rate limiter: up to
`max_concurrency` requests wait on it at once, so as many are in flight as the budget and the
API's latency call for.

Every request runs on a worker thread (extract.workers) while this generator waits on them
together with the run's stop (extract.stopping): once a stop is asked, or the run's deadline has
passed, no request starts; the answers in hand are kept and the requests in flight abandoned. An
ASIN the batch did not finish gets no outcome row (nothing changes for it: still due, no backoff),
or, when its product data came but its sales did not, a row with sales `pending`, which makes it
a sales gap for the next run (one sales call, no product call).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

from extract import settings
from extract.client import ApiError, JungleScoutClient, SalesAnswer
from extract.families import FamilySales, FamilyTally, Identity, Sharing
from extract.records import RecordError, product_asin, product_row, sales_rows, valid_asin
from extract.stopping import NotStarted, RunStop
from extract.workers import Workers

log = logging.getLogger("jssync.extract")

PRODUCTS, SALES, OUTCOMES = "products", "sales_estimates", "asin_outcomes"
SALES_GAP = "sales_gap"  # product data synced, sales not: one sales call, no product call
FAMILY = "family"  # not due itself: refreshed with the shared-rank group of an ASIN that is
NOT_ATTEMPTED = "not_attempted"  # the monthly budget refused the request: nothing was sent


@dataclass(frozen=True)
class AsinWork:
    """One ASIN to sync: `kind` is new, sales_gap, stale or family; `sales_synced_at` drives the
    sales range. A sales_gap ASIN gets its sales only (its product data is current). `sales_group`
    names the shared-rank group the selection took it with (family sharing), so a batch never
    splits a group."""

    asin: str
    kind: str = "new"
    sales_synced_at: dt.datetime | None = None
    sales_group: str | None = None


@dataclass
class AsinOutcome:
    """What happened to one ASIN in this batch; becomes a landing row and a sync_status update."""

    asin: str
    kind: str
    # found | not_found | invalid | failed | skipped | not_attempted | pending (not fetched yet)
    product_status: str = "pending"
    # synced | no_data | current | failed | skipped (not asked for) | not_attempted (the budget
    # refused it) | pending (asked for, no answer: the run stopped or its time ran out first)
    sales_status: str = "skipped"
    sales_start: dt.date | None = None
    sales_end: dt.date | None = None
    sales_points: int = 0
    error_category: str | None = None  # db | api | parse | other
    error: str | None = None
    # The sales sync time to record when it is not the merge's: a member that got its group's
    # history from staging takes the time of the rows it copied (extract.families).
    sales_synced_at: dt.datetime | None = None

    @property
    def failed(self) -> bool:
        return self.product_status in ("not_found", "invalid", "failed") or self.sales_status == "failed"

    @property
    def finished(self) -> bool:
        """Neither part is pending: the batch was not cut short (a stop, its deadline) for it."""
        return self.product_status != "pending" and self.sales_status != "pending"

    @property
    def landed(self) -> bool:
        """Whether the batch has something to say about this ASIN (an outcome row): it was
        attempted and finished, or its product data came while its sales are still pending
        (a sales gap for the next run)."""
        return self.attempted and (self.finished or self.product_status == "found")

    @property
    def attempted(self) -> bool:
        """False when the budget refused every request this ASIN needed: nothing happened to it,
        so it has no outcome row (its sync_status stays as it was, and it stays due)."""
        parts = (self.product_status, self.sales_status)
        return NOT_ATTEMPTED not in parts or any(p not in (NOT_ATTEMPTED, "skipped") for p in parts)

    def fail(self, category: str, message: str) -> None:
        # The first error of an ASIN is the one worth reading; later ones follow from it.
        if self.error is None:
            self.error_category, self.error = category, message

    def row(self, marketplace: str) -> dict:
        return {
            "asin": self.asin,
            "marketplace": marketplace,
            "kind": self.kind,
            "product_status": self.product_status,
            "sales_status": self.sales_status,
            "sales_start": self.sales_start,
            "sales_end": self.sales_end,
            "sales_points": self.sales_points,
            "error_category": self.error_category,
            "error": self.error,
            "sales_synced_at": self.sales_synced_at,
        }


def sales_range(
    synced_at: dt.datetime | None, run_date: dt.date, date_range: str = "1year"
) -> tuple[dt.date, dt.date] | None:
    """Dates to ask for, both included: never synced, `date_range` ending yesterday; synced
    before, from the date of the last sync through yesterday; None when already current."""
    end = run_date - dt.timedelta(days=1)
    if synced_at is None:
        if date_range == "1month":
            start = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            start = start.replace(day=min(end.day, _days_in_month(start)))
        else:
            start = end.replace(year=end.year - 1, day=28 if (end.month, end.day) == (2, 29) else end.day)
    else:
        start = synced_at.date()
    return (start, end) if start <= end else None


def _days_in_month(day: dt.date) -> int:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (nxt - dt.timedelta(days=1)).day


@dataclass(frozen=True)
class SalesCall:
    """One sales request: the ASIN asked for, the range, why (for the step log), and what the
    caller needs back with the answer (`tag`)."""

    asin: str
    start: dt.date
    end: dt.date
    why: str
    tag: object = None


@dataclass
class BatchFetcher:
    """Fetches one batch of ASINs and yields landing rows; `outcomes` holds the per-ASIN result."""

    client: JungleScoutClient
    marketplace: str
    run_date: dt.date
    max_concurrency: int = 32
    fetch_products: bool = True
    fetch_sales: bool = True
    date_range: str = "1year"
    outcomes: dict[str, AsinOutcome] = field(default_factory=dict)
    # The run's stop (the client's too): no request starts once it is asked or the deadline passed.
    stop: RunStop = field(default_factory=RunStop)
    _workers: Workers | None = field(default=None, repr=False)
    # SALES_FAMILY_SHARING on: one sales call per shared-rank group (extract.families); None: one per ASIN.
    sharing: Sharing | None = None
    family: FamilyTally = field(default_factory=FamilyTally)
    identities: dict[str, Identity] = field(default_factory=dict)  # this batch's product data, with sharing

    def span(self, w: AsinWork) -> tuple[dt.date, dt.date] | None:
        """The sales range `w` needs in this batch (None: already current)."""
        return sales_range(w.sales_synced_at, self.run_date, self.date_range)

    def run(self, work: list[AsinWork]) -> Iterator[tuple[str, dict]]:
        """Yield (table, row) for products, sales and, last, one outcome per ASIN it landed."""
        try:
            yield from self._run(work)
        finally:
            if self._workers is not None:
                self._workers.close()  # no join: an abandoned request ends with its socket read
                self._workers = None

    def _run(self, work: list[AsinWork]) -> Iterator[tuple[str, dict]]:
        self.outcomes = {w.asin: AsinOutcome(w.asin, w.kind) for w in work}
        valid = []
        for w in work:
            if valid_asin(w.asin):
                valid.append(w)
            else:
                outcome = self.outcomes[w.asin]
                outcome.product_status = "invalid"
                outcome.fail(
                    "other", f"ASIN {w.asin!r} has an invalid format (expected B + 9 letters/digits, or 10 digits/X)"
                )
        for w in valid:
            if w.kind == SALES_GAP or not self.fetch_products:
                self.outcomes[w.asin].product_status = "skipped"
        if self.fetch_products:
            yield from self._products([w for w in valid if w.kind != SALES_GAP])
        found = [w for w in valid if self.outcomes[w.asin].product_status in ("found", "skipped")]
        if self.fetch_sales and self.sharing is not None:
            yield from FamilySales(self, self.sharing, self.identities).run(found)
        elif self.fetch_sales:
            yield from self._sales(found)
        for outcome in self.outcomes.values():
            if outcome.landed:
                yield OUTCOMES, outcome.row(self.marketplace)

    @property
    def unfinished(self) -> list[str]:
        """ASINs of the batch it did not finish (a stop or the deadline came first)."""
        return [o.asin for o in self.outcomes.values() if not o.finished]

    def _pool(self) -> Workers:
        if self._workers is None:
            self._workers = Workers(max(1, self.max_concurrency), "fetch")
        return self._workers

    def _wait(self, futures: set[Future]) -> tuple[set[Future], set[Future]] | None:
        """Wait until one of `futures` is done: (done, not done); None when the requests in flight
        are to be abandoned (a stop, or past the deadline's grace)."""
        stop = self.stop
        while True:
            done = {f for f in futures if f.done()}
            if done:  # answers in hand are kept, even when stopping: they are paid for
                return done, futures - done
            if stop.abandon():
                return None
            done, rest = wait(futures | {stop.future}, timeout=stop.next_change(), return_when=FIRST_COMPLETED)
            done.discard(stop.future)
            rest.discard(stop.future)
            if done:
                return done, rest

    def _abandoned(self, in_flight: int, what: str) -> None:
        log.warning(
            "%s: %d %s request(s) in flight abandoned, no more started",
            self.stop.why(),
            in_flight,
            what,
            extra={"step": "SyncASINs"},
        )

    def _product_pages(self, chunk: list[str]) -> tuple[list[list[dict]], Exception | None]:
        """On a worker: every page of one product query, and the error that ended it, if any."""
        pages: list[list[dict]] = []
        try:
            for page in self.client.product_pages(chunk, self.marketplace):
                pages.append(page)
        except (ApiError, NotStarted) as exc:
            return pages, exc
        return pages, None

    def _products(self, work: list[AsinWork]) -> Iterator[tuple[str, dict]]:
        context = contextvars.copy_context()  # the worker logs with the sync's flow and run id
        for start in range(0, len(work), settings.PRODUCT_BATCH_SIZE):
            if not self.stop.may_start():
                return  # the rest stays pending: no outcome, still due
            chunk = [w.asin for w in work[start : start + settings.PRODUCT_BATCH_SIZE]]
            wanted = set(chunk)
            log.debug("Calling JungleScout Product API for %d ASINs...", len(chunk), extra={"step": "SyncASINs"})
            job = self._pool().submit(context.copy().run, self._product_pages, chunk)
            if self._wait({job}) is None:
                self._abandoned(1, "product")
                return
            pages, error = job.result()
            rows: dict[str, dict] = {}
            for page in pages:
                for item in page:
                    try:
                        asin = product_asin(item)
                    except RecordError as exc:
                        log.debug("ERROR: %s", exc, extra={"step": "SyncASINs"})
                        continue
                    if asin not in wanted or asin in rows or self.outcomes[asin].product_status != "pending":
                        continue  # not asked for, or already seen on an earlier page
                    try:
                        rows[asin] = product_row(item, self.marketplace, self.run_date)
                        if self.sharing is not None:
                            self.identities[asin] = Identity.of_row(rows[asin])
                    except Exception as exc:  # noqa: BLE001 - one bad record fails its ASIN only
                        outcome = self.outcomes[asin]
                        outcome.product_status = "invalid"
                        outcome.fail("parse", _record_error(f"product {asin}", exc))
                        log.debug("ERROR: %s", outcome.error, extra={"step": "SyncASINs"})
            if isinstance(error, NotStarted):
                # A later page was not asked for: what came is kept, the rest is not known yet.
                for asin, row in rows.items():
                    self.outcomes[asin].product_status = "found"
                    yield PRODUCTS, row
                return
            if isinstance(error, ApiError):
                for asin in chunk:
                    if self.outcomes[asin].product_status == "pending":
                        if error.attempted:
                            self.outcomes[asin].product_status = "failed"
                            self.outcomes[asin].fail(error.category, str(error))
                        else:
                            self.outcomes[asin].product_status = NOT_ATTEMPTED
                log.debug("ERROR: %s", error, extra={"step": "SyncASINs"})
                continue
            log.debug(
                "Product API returned %d products (requested %d)", len(rows), len(chunk), extra={"step": "SyncASINs"}
            )
            for asin in chunk:
                outcome = self.outcomes[asin]
                if asin in rows:
                    outcome.product_status = "found"
                    yield PRODUCTS, rows[asin]
                elif outcome.product_status == "pending":
                    outcome.product_status = "not_found"
                    outcome.fail("api", settings.NOT_FOUND_ERROR)
            missing = [a for a in chunk if self.outcomes[a].product_status == "not_found"]
            if missing:
                log.debug(
                    "%d ASINs NOT FOUND in JungleScout API (will retry in %d days):",
                    len(missing),
                    settings.PRODUCT_NOT_FOUND_RETRY_DAYS,
                    extra={"step": "SyncASINs"},
                )
                log.debug("Not found list: [%s]", " ".join(missing), extra={"step": "SyncASINs"})

    def _sales(self, work: list[AsinWork]) -> Iterator[tuple[str, dict]]:
        calls: deque[SalesCall] = deque()
        for w in work:
            outcome = self.outcomes[w.asin]
            span = sales_range(w.sales_synced_at, self.run_date, self.date_range)
            if span is None:
                outcome.sales_status = "current"
                continue
            outcome.sales_start, outcome.sales_end = span
            outcome.sales_status = "pending"  # until its answer is in
            why = "1 year (new ASIN)" if w.sales_synced_at is None else "since last sync"
            calls.append(SalesCall(w.asin, *span, why, w))
        yield from self.pooled(calls, self.sales_result)

    def pooled(
        self,
        calls: deque[SalesCall],
        handle: Callable[[SalesCall, SalesAnswer | Exception], Iterable[tuple[str, dict]]],
    ) -> Iterator[tuple[str, dict]]:
        """Make the sales `calls` concurrently, as many in flight as the rate limiter lets through
        (up to max_concurrency), and yield what `handle` makes of each answer (an ApiError, or
        NotStarted for a request the run's stop did not send) as it arrives. `handle` may append
        more calls to `calls`; they go through the same pool."""
        if not calls:
            return
        workers = max(1, min(self.max_concurrency, len(calls)))
        log.debug(
            "Fetching sales data for %d ASINs, up to %d requests in flight as the rate limit allows...",
            len(calls),
            workers,
            extra={"step": "SyncASINs"},
        )
        names = threading.local()
        counter = itertools.count()  # the batch's pool threads, numbered as they first fetch sales
        counter_lock = threading.Lock()

        def fetch(call: SalesCall) -> tuple[SalesCall, SalesAnswer | Exception]:
            if not hasattr(names, "n"):
                with counter_lock:
                    names.n = next(counter)
            step = {"step": f"Worker {names.n}"}
            log.debug(
                "Fetching sales for ASIN %s: %s to %s (%s)", call.asin, call.start, call.end, call.why, extra=step
            )
            try:
                answer = self.client.sales_estimates(call.asin, self.marketplace, call.start, call.end)
            except ApiError as exc:
                log.debug("ERROR: %s", exc, extra=step)
                return call, exc
            except NotStarted as exc:
                return call, exc  # not sent: the ASIN's sales stay pending
            log.debug(
                "Sales API returned %s for ASIN %s",
                "no rank data" if answer.no_data else f"{_points(answer)} data points",
                call.asin,
                extra=step,
            )
            return call, answer

        # Workers log with the sync's context (flow, run id): each task runs in a copy of it.
        context = contextvars.copy_context()

        # Submit as workers free up, and only while requests may start: a stop or the deadline
        # leaves the rest of the queue unasked, and the consumer giving up on this generator (a
        # failed landing) leaves only the requests in flight, abandoned with their workers.
        pool = self._pool()
        pending: set[Future] = set()

        def top_up() -> None:
            while calls and len(pending) < workers and self.stop.may_start():
                pending.add(pool.submit(context.copy().run, fetch, calls.popleft()))

        top_up()
        while pending:
            got = self._wait(pending)
            if got is None:
                self._abandoned(len(pending), "sales")
                return
            done, pending = got
            for future in done:
                call, answer = future.result()  # anything but an ApiError or NotStarted is a bug
                yield from handle(call, answer)
            top_up()

    def sales_result(self, call: SalesCall, answer: SalesAnswer | Exception) -> Iterator[tuple[str, dict]]:
        """The rows of an ASIN's own answer (its outcome says the range), or its failure."""
        outcome = self.outcomes[call.asin]
        if isinstance(answer, NotStarted):
            return
        if isinstance(answer, ApiError):
            if answer.attempted:
                outcome.sales_status = "failed"
                outcome.fail(answer.category, str(answer))
            else:
                outcome.sales_status = NOT_ATTEMPTED
            return
        try:
            rows = self.answer_rows(call.asin, answer, outcome.sales_start, outcome.sales_end)
        except RecordError as exc:
            outcome.sales_status = "failed"
            outcome.fail("parse", str(exc))
            log.debug("ERROR: %s", outcome.error, extra={"step": "SyncASINs"})
            return
        outcome.sales_points = len(rows)
        outcome.sales_status = "synced" if rows else "no_data"
        for row in rows:
            yield SALES, row

    def answer_rows(self, asin: str, answer: SalesAnswer, start: dt.date, end: dt.date) -> list[dict]:
        """The daily rows of one ASIN's own sales answer within [start, end]; raises RecordError
        (naming the ASIN) for an answer that cannot be read."""
        try:
            return sales_rows(asin, self.marketplace, answer.items, start, end)
        except Exception as exc:  # noqa: BLE001 - one bad answer fails its ASIN only
            raise RecordError(_record_error(f"sales for {asin}", exc)) from exc


def _record_error(what: str, exc: Exception) -> str:
    """The message for a record that could not be converted; RecordErrors already name it."""
    if isinstance(exc, RecordError):
        return str(exc)
    return f"{what}: the record could not be read ({type(exc).__name__}: {str(exc)[:200]})"


def _points(answer: SalesAnswer) -> int:
    total = 0
    for item in answer.items:
        attrs = item.get("attributes") if isinstance(item, dict) else None
        if isinstance(attrs, dict) and isinstance(attrs.get("data"), list):
            total += len(attrs["data"])
    return total
