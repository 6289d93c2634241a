"""Variation families (issue 18): one sales call per shared-rank group, and the audit that checks it.

Jungle Scout estimates the variations of a listing that share one Best Sellers Rank together:
each shows the listing's estimate. With SALES_FAMILY_SHARING on, the ASINs of a batch whose
latest product data name the same `parent_asin` and the same non-null `product_rank` form a
group, and the group's sales are fetched once, for one member (the source). Every other member
gets the group's daily units with its own identity columns (from its own product data) and its
own price where the service knows it (its product price on the days its product data was
fetched), else NULL; never another member's price. Each copied range is landed in
`sales_provenance` (member, source ASIN, dates). A new member of a group staging already holds
gets the group's history from staging's rows, with no call.

The audit fetches a share of the shared members on their own and compares them day by day with
the group's series. A difference demotes the group: its members get their own calls from then on
(at once, in this batch) and their shared rows are fetched again.

What staging knows comes through a FamilyContext (the sync layer implements it): stored
identities of ASINs whose product data this batch does not fetch, demoted groups, a group's
history, prices, the ranges already shared, and which groups were audited before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from extract.client import ApiError, SalesAnswer
from extract.records import RecordError
from extract.stopping import NotStarted

if TYPE_CHECKING:
    from extract.fetch import AsinWork, BatchFetcher, SalesCall

PROVENANCE, AUDITS = "sales_provenance", "family_audits"

Key = tuple[str, int]  # (parent_asin, product_rank) of a shared-rank group


@dataclass(frozen=True)
class Identity:
    """An ASIN's own product identity: what groups it and the identity columns of its rows."""

    parent_asin: str | None
    product_rank: int | None
    is_parent: bool | None = None
    is_variant: bool | None = None
    is_standalone: bool | None = None

    @property
    def key(self) -> Key | None:
        """Its group: the parent it names and its rank, when it names both."""
        if self.parent_asin is None or self.product_rank is None:
            return None
        return (self.parent_asin, self.product_rank)

    @classmethod
    def of_row(cls, row: dict) -> Identity:
        """The identity of a product landing row (extract.records.product_row)."""
        return cls(row["parent_asin"], row["product_rank"], row["is_parent"], row["is_variant"], row["is_standalone"])


@dataclass(frozen=True)
class History:
    """A group's series as staging holds it: one member's (the donor's) rows, and for each day
    the ASIN whose answer it is (the donor, or the source its own row was copied from)."""

    asin: str
    sales_synced_at: dt.datetime
    units: dict[dt.date, int | None]
    sources: dict[dt.date, str]


class FamilyContext(Protocol):
    """What the family sales of a batch read from staging (sync.families implements it)."""

    def identities(self, asins: list[str]) -> dict[str, Identity]: ...

    def demoted(self, keys: list[Key]) -> set[Key]: ...

    def histories(self, keys: list[Key]) -> dict[Key, History]: ...

    def shared_since(self, asins: list[str]) -> dict[str, dt.date]: ...

    def prices(self, asins: list[str], start: dt.date, end: dt.date) -> dict[str, dict[dt.date, float]]: ...

    def audited(self, keys: list[Key]) -> set[Key]: ...


@dataclass(frozen=True)
class Sharing:
    """SALES_FAMILY_SHARING on: staging's side of it, the audit's share (0-100) and the seed that
    makes the audit's choice of members reproducible (the run id)."""

    context: FamilyContext
    audit_percent: float = 2.0
    seed: str = ""


@dataclass
class FamilyTally:
    """What a batch's family sales did, for the run's status."""

    shared: int = 0  # members whose rows this batch copied from their group's series
    checked: int = 0  # members audited (fetched on their own and compared)
    mismatched: int = 0  # audited members whose own series differed from the group's
    demoted_groups: int = 0


def compare(
    own: dict[dt.date, int | None], group: dict[dt.date, int | None], start: dt.date, end: dt.date
) -> tuple[int, int, dt.date | None]:
    """Day by day over [start, end] within the days the group's series spans: (days compared,
    days that differ, the first of them). A day present on one side only differs."""
    if group:
        start, end = max(start, min(group)), min(end, max(group))
    days = sorted(d for d in set(own) | set(group) if start <= d <= end)
    differing = [d for d in days if d not in own or d not in group or own[d] != group[d]]
    return len(days), len(differing), differing[0] if differing else None


def provenance_ranges(asin: str, marketplace: str, sources: list[tuple[dt.date, str]]) -> list[dict]:
    """The landing rows of a member's copied days: one range per run of days with one source."""
    out: list[dict] = []
    for day, source in sorted(sources):
        if out and out[-1]["source_asin"] == source:
            out[-1]["last_date"] = day
        else:
            out.append(
                {"asin": asin, "marketplace": marketplace, "first_date": day, "last_date": day, "source_asin": source}
            )
    return out


def audit_count(percent: float, shared: int) -> int:
    """How many of `shared` members an audit of `percent` fetches: the share rounded up, at least
    one when any are shared; none at 0 %."""
    if percent <= 0 or shared <= 0:
        return 0
    return min(shared, max(1, math.ceil(shared * percent / 100 - 1e-9)))


def _draw(seed: str, asin: str) -> str:
    return hashlib.sha256(f"{seed}:{asin}".encode()).hexdigest()


@dataclass
class _Group:
    key: Key
    members: list[AsinWork]
    need: list[AsinWork] = field(default_factory=list)  # members with a sales range to fill
    source: AsinWork | None = None  # the member the group's call asks for
    start: dt.date | None = None  # the call's range start (it ends yesterday)
    history: History | None = None  # no call: the series staging holds
    audits: list[AsinWork] = field(default_factory=list)
    pending: int = 0  # calls not answered yet
    answer: SalesAnswer | Exception | None = None  # an ApiError, or NotStarted (a stop came first)
    audit_answers: dict[str, SalesAnswer | Exception] = field(default_factory=dict)

    @property
    def shared(self) -> list[AsinWork]:
        return [w for w in self.need if self.source is None or w.asin != self.source.asin]


class FamilySales:
    """The sales part of one batch with sharing on (see the module's docstring)."""

    def __init__(self, fetcher: BatchFetcher, sharing: Sharing, identities: dict[str, Identity]):
        self.fetcher = fetcher
        self.sharing = sharing
        self.identities = dict(identities)  # this batch's product data; stored ones are added
        self.tally = FamilyTally()
        self.calls: deque[SalesCall] = deque()
        self.spans: dict[str, tuple[dt.date, dt.date] | None] = {}
        self.since: dict[str, dt.date] = {}
        self.prices: dict[str, dict[dt.date, float]] = {}

    def run(self, work: list[AsinWork]) -> Iterator[tuple[str, dict]]:
        """Yield the landing rows of `work`'s sales (ASINs whose product part did not fail)."""
        from extract.fetch import SalesCall

        fetcher, context = self.fetcher, self.sharing.context
        outcomes = fetcher.outcomes
        for w in work:
            span = self.spans[w.asin] = fetcher.span(w)
            if span is None:
                outcomes[w.asin].sales_status = "current"
            else:  # pending until its answer (or its group's) is in: a stop leaves it a sales gap
                outcomes[w.asin].sales_start, outcomes[w.asin].sales_end = span
                outcomes[w.asin].sales_status = "pending"
        missing = [w.asin for w in work if w.asin not in self.identities]
        if missing:
            self.identities.update(context.identities(missing))
        by_key: dict[Key, list[AsinWork]] = {}
        for w in work:
            identity = self.identities.get(w.asin)
            if identity is not None and identity.key is not None:
                by_key.setdefault(identity.key, []).append(w)
        demoted = context.demoted(list(by_key)) if by_key else set()
        # An own call also covers the ASIN's shared rows, if it has any: they become its own answer.
        self.since = context.shared_since([w.asin for w in work])
        end = fetcher.run_date - dt.timedelta(days=1)

        groups = [_Group(key, members) for key, members in by_key.items() if key not in demoted]
        in_groups = {w.asin for g in groups for w in g.members}
        for w in work:  # standalone, own rank, no rank, demoted group: a call of its own
            if w.asin not in in_groups:
                demoted_member = self.identities.get(w.asin) is not None and self.identities[w.asin].key in demoted
                self._own_call(w, demoted=demoted_member)
        self._plan(groups)
        shared = [w for g in groups for w in g.shared]
        if shared:
            self._choose_audits(groups, shared)
            first = min(self.spans[w.asin][0] for w in shared)
            self.prices = context.prices([w.asin for w in shared], first, end)
        for g in groups:
            if g.source is not None:
                label = f"shared by {len(g.need)} ASINs of group {g.key[0]}#{g.key[1]}"
                self.calls.append(SalesCall(g.source.asin, g.start, end, label, ("source", g)))
                g.pending += 1
            for w in g.audits:
                start = self._refetch_start(w)
                self.calls.append(SalesCall(w.asin, start, end, "audit: on its own", ("audit", g, w)))
                g.pending += 1
            if g.need and g.pending == 0:  # a history copy without an audit: nothing to wait for
                yield from self._finish(g)
        fetcher.family = self.tally
        yield from fetcher.pooled(self.calls, self._handle)

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, groups: list[_Group]) -> None:
        """Each group's plan: one call for its source (range: the earliest its members need), or,
        when every member that needs sales is new and staging holds the group's series, a copy of
        that series with no call."""
        for g in groups:
            g.need = [w for w in g.members if self.spans[w.asin] is not None]
        new_only = [g.key for g in groups if g.need and all(w.sales_synced_at is None for w in g.need)]
        histories = self.sharing.context.histories(new_only) if new_only else {}
        for g in groups:
            if not g.need:
                continue
            g.history = histories.get(g.key)
            if g.history is not None:
                continue
            # The source: preferably a member whose rows are its own already (stable over runs).
            g.source = min(g.need, key=lambda w: (w.sales_synced_at is None, w.asin in self.since, w.asin))
            g.start = min(self.spans[w.asin][0] for w in g.need)

    def _choose_audits(self, groups: list[_Group], shared: list[AsinWork]) -> None:
        """The audit's members: groups never audited before first, one member per group before a
        second of any, otherwise in an order drawn from the seed."""
        count = audit_count(self.sharing.audit_percent, len(shared))
        if not count:
            return
        seed = self.sharing.seed
        before = self.sharing.context.audited([g.key for g in groups if g.shared])
        ranked = []
        for g in groups:
            for place, w in enumerate(sorted(g.shared, key=lambda w: _draw(seed, w.asin))):
                ranked.append(((g.key in before, place, _draw(seed, w.asin)), g, w))
        for _, g, w in sorted(ranked, key=lambda item: item[0])[:count]:
            g.audits.append(w)

    def _refetch_start(self, w: AsinWork) -> dt.date:
        """Where an own call of a member starts: its range, or earlier to cover its shared rows."""
        span = self.spans.get(w.asin)
        starts = [d for d in (span[0] if span else None, self.since.get(w.asin)) if d is not None]
        return min(starts)

    def _own_call(self, w: AsinWork, *, demoted: bool = False) -> None:
        """A call of its own for `w`, reaching back over its shared rows (free: the call is made
        anyway); a current member of a demoted group is called only to fetch its copies again."""
        from extract.fetch import SalesCall

        span = self.spans.get(w.asin)
        if span is None and not (demoted and w.asin in self.since):
            return  # current
        start = self._refetch_start(w)
        end = self.fetcher.run_date - dt.timedelta(days=1)
        outcome = self.fetcher.outcomes[w.asin]
        outcome.sales_start, outcome.sales_end = start, end
        outcome.sales_status = "pending"
        if demoted:
            why = "its group was demoted"
        else:
            why = "1 year (new ASIN)" if w.sales_synced_at is None else "since last sync"
        if w.asin in self.since:
            why += "; its shared rows fetched again"
        self.calls.append(SalesCall(w.asin, start, end, why, ("own", None, w)))

    # -- answers ----------------------------------------------------------------------------
    def _handle(self, call: SalesCall, answer: SalesAnswer | Exception) -> Iterable[tuple[str, dict]]:
        kind, group = call.tag[0], call.tag[1]
        if kind == "own":
            return self.fetcher.sales_result(call, answer)
        if kind == "source":
            group.answer = answer
        else:
            group.audit_answers[call.tag[2].asin] = answer
        group.pending -= 1
        return self._finish(group) if group.pending == 0 else ()

    def _finish(self, g: _Group) -> Iterator[tuple[str, dict]]:
        """Every answer of the group is in: the source's rows, the audits' verdicts and rows, then
        the shared members' copies, or (a difference found) their own calls."""
        from extract.fetch import NOT_ATTEMPTED

        fetcher, outcomes = self.fetcher, self.fetcher.outcomes
        end = fetcher.run_date - dt.timedelta(days=1)
        units: dict[dt.date, int | None] = {}
        failure: tuple[str, str] | None = None
        refused = False  # the monthly budget refused the group's call: nothing happened to it
        unsent = isinstance(g.answer, NotStarted)  # the run stopped first: the group stays pending
        if g.history is not None:
            units = g.history.units
        elif not unsent:
            source = outcomes[g.source.asin]
            rows: list[dict] = []
            if isinstance(g.answer, ApiError):
                refused = not g.answer.attempted
                failure = (g.answer.category, str(g.answer))
            else:
                try:
                    rows = fetcher.answer_rows(g.source.asin, g.answer, g.start, end)
                except RecordError as exc:
                    failure = ("parse", str(exc))
            source.sales_start = g.start
            if refused:
                source.sales_status = NOT_ATTEMPTED
            elif failure is not None:
                source.sales_status = "failed"
                source.fail(*failure)
            else:
                source.sales_points = len(rows)
                source.sales_status = "synced" if rows else "no_data"
                units = {row["date"]: row["estimated_units_sold"] for row in rows}
                for row in rows:
                    yield "sales_estimates", row

        demote = False
        own_rows: set[str] = set()
        for w in g.audits:
            answer = g.audit_answers.get(w.asin)
            start, span = self._refetch_start(w), self.spans[w.asin]
            if not isinstance(answer, SalesAnswer):
                continue  # failed or not sent: unchecked, the member shared as if it had not been drawn
            try:
                rows = fetcher.answer_rows(w.asin, answer, start, end)
            except RecordError:
                continue
            checked = failure is None and not unsent
            mine = {row["date"]: row["estimated_units_sold"] for row in rows}
            days, differing, first = compare(mine, units, span[0], span[1]) if checked else (0, 0, None)
            if checked:
                self.tally.checked += 1
                self.tally.mismatched += differing > 0
                demote = demote or differing > 0
                source_asin = g.source.asin if g.source is not None else g.history.asin
                yield AUDITS, self._audit_row(g, w, source_asin, span, days, differing, first)
            own_rows.add(w.asin)
            outcome = outcomes[w.asin]
            outcome.sales_start, outcome.sales_points = start, len(rows)
            outcome.sales_status = "synced" if rows else "no_data"
            for row in rows:
                yield "sales_estimates", row

        rest = [w for w in g.shared if w.asin not in own_rows]
        if unsent:
            return  # the source and the rest stay pending: sales gaps for the next run
        if refused:
            for w in rest:
                outcomes[w.asin].sales_status = NOT_ATTEMPTED
            return
        if failure is not None:
            for w in rest:
                outcomes[w.asin].sales_status = "failed"
                outcomes[w.asin].fail(failure[0], f"{failure[1]} (the shared call of its group)")
            return
        if demote:
            from extract.fetch import SalesCall

            self.tally.demoted_groups += 1
            done = own_rows | ({g.source.asin} if g.source is not None else set())
            for w in g.members:
                if w.asin not in done and (self.spans[w.asin] is not None or w.asin in self.since):
                    start = self._refetch_start(w)
                    outcomes[w.asin].sales_start, outcomes[w.asin].sales_end = start, end
                    outcomes[w.asin].sales_status = "pending"  # a stop first: a sales gap next run
                    self.calls.append(SalesCall(w.asin, start, end, "its group was demoted", ("own", None, w)))
            return
        for w in rest:
            yield from self._copy(g, w, units)

    def _copy(self, g: _Group, w: AsinWork, units: dict[dt.date, int | None]) -> Iterator[tuple[str, dict]]:
        """A shared member's rows: the group's units, its own identity and known prices."""
        marketplace, outcome = self.fetcher.marketplace, self.fetcher.outcomes[w.asin]
        identity, prices = self.identities[w.asin], self.prices.get(w.asin, {})
        start, end = self.spans[w.asin]
        days = sorted(d for d in units if start <= d <= end)
        for day in days:
            yield (
                "sales_estimates",
                {
                    "asin": w.asin,
                    "marketplace": marketplace,
                    "date": day,
                    "estimated_units_sold": units[day],
                    "last_known_price": prices.get(day),
                    "is_parent": identity.is_parent,
                    "is_variant": identity.is_variant,
                    "is_standalone": identity.is_standalone,
                    "parent_asin": identity.parent_asin,
                },
            )
        if g.history is not None:
            sources = [(d, g.history.sources.get(d, g.history.asin)) for d in days]
            outcome.sales_synced_at = g.history.sales_synced_at
            if days:
                outcome.sales_end = days[-1]
        else:
            sources = [(d, g.source.asin) for d in days]
        for row in provenance_ranges(w.asin, marketplace, [(d, s) for d, s in sources if s != w.asin]):
            yield PROVENANCE, row
        outcome.sales_points = len(days)
        outcome.sales_status = "synced" if days else "no_data"
        self.tally.shared += 1

    def _audit_row(
        self,
        g: _Group,
        w: AsinWork,
        source: str,
        span: tuple[dt.date, dt.date],
        days: int,
        differing: int,
        first: dt.date | None,
    ) -> dict:
        return {
            "marketplace": self.fetcher.marketplace,
            "asin": w.asin,
            "source_asin": source,
            "parent_asin": g.key[0],
            "product_rank": g.key[1],
            "first_date": span[0],
            "last_date": span[1],
            "days_compared": days,
            "days_differing": differing,
            "first_differing_date": first,
        }
