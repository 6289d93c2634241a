"""Planning a run's work: the monthly budget from the usage ledger, and how many ASINs a run takes.

`auto` takes what is due by the next run, capped by what the run can fetch in its time allowance
at the configured rate and by the budget's share of this run (what is left this month, spread
over the runs left in it). A fixed limit is taken as configured, capped only by what is left.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from extract import settings
from extract.families import audit_count
from loaders.execute import run_model
from sync.config import Config

# Requests per ASIN before any run has measured it: one sales call each and one product call
# per 100 ASINs (retries come on top and are measured from the run history).
DEFAULT_REQUESTS_PER_ASIN = 1 + 1 / settings.PRODUCT_BATCH_SIZE
# With SALES_FAMILY_SHARING a run can cost less than one sales call per ASIN, never less than
# its product calls.
MIN_REQUESTS_PER_ASIN = 1 / settings.PRODUCT_BATCH_SIZE


EPSILON = 1e-9  # float division must not turn an exact 100.0 into 99


def _floor(value: float) -> int:
    return max(0, math.floor(value + EPSILON))


@dataclass(frozen=True)
class BudgetState:
    """The month's budget at a moment: `monthly` None means no budget."""

    monthly: int | None
    spent: int

    @property
    def left(self) -> int | None:
        return None if self.monthly is None else max(0, self.monthly - self.spent)

    @property
    def spent_out(self) -> bool:
        return self.monthly is not None and self.left <= 0

    def as_dict(self) -> dict:
        return {"monthly": self.monthly, "spent": self.spent, "left": self.left}


def arm(run) -> BudgetState:
    """Read the month's spending from the ledger into `run.status.budget` and give the run's API
    client the gate (a sync.run.SyncRun, before its first request)."""
    from extract.budget import RequestBudget

    state = BudgetState(run.config.monthly_request_budget, int(run.query("plan_month_usage", {"now": None})[0][0]))
    run.status.budget = state.as_dict()
    run.budget = RequestBudget(state.monthly, state.left)
    return state


def month_spent(cur, prefix: str, now: dt.datetime | None = None) -> int:
    """Requests of the calendar month (UTC) holding `now`, from staging's usage ledger."""
    run_model(cur, "plan_month_usage", "staging", prefix, {"now": None if now is None else now.replace(tzinfo=None)})
    return int(cur.fetchone()[0])


def requests_per_asin(
    cur, prefix: str, config: Config | None = None, *, sharing: bool | None = None, marketplace: str = "us"
) -> float:
    """Requests per ASIN measured over the last 30 days of hourly syncs made with the same family
    sharing (`sharing`, default the config's SALES_FAMILY_SHARING), else the estimate: one sales
    call per ASIN and one product call per 100, or with sharing the catalogue's groups counted."""

    def query(name: str, params: dict | None = None) -> list[tuple]:
        run_model(cur, name, "staging", prefix, params)
        return cur.fetchall()

    return measured_requests_per_asin(query, config, sharing=sharing, marketplace=marketplace)


def measured_requests_per_asin(
    query: Callable[..., list[tuple]],
    config: Config | None,
    *,
    sharing: bool | None = None,
    marketplace: str = "us",
) -> float:
    """requests_per_asin over any staging query runner (`run.query` of a SyncRun)."""
    sharing = bool(config and config.sales_family_sharing) if sharing is None else sharing
    value = query("plan_requests_per_asin", {"family_sharing": sharing})[0][0]
    if not sharing:
        return max(float(value), DEFAULT_REQUESTS_PER_ASIN) if value else DEFAULT_REQUESTS_PER_ASIN
    if value:  # one product call per 100 ASINs is all a run of shared groups cannot save
        return max(float(value), MIN_REQUESTS_PER_ASIN)
    visible, sales_calls, shared = query("plan_family_requests", {"marketplace": marketplace})[0]
    return family_requests_per_asin(visible, sales_calls, shared, config.sales_family_audit_percent if config else 2.0)


def family_requests_per_asin(visible: int, sales_calls: int, shared: int, audit_percent: float) -> float:
    """Requests per ASIN of a full refresh with family sharing: a product call per 100 ASINs, a
    sales call per group and per other ASIN, and the audit's calls."""
    if visible <= 0:
        return DEFAULT_REQUESTS_PER_ASIN
    calls = visible / settings.PRODUCT_BATCH_SIZE + sales_calls + audit_count(audit_percent, shared)
    return max(calls / visible, MIN_REQUESTS_PER_ASIN)


def run_period(runs_per_day: int) -> dt.timedelta:
    """Time between two scheduled runs."""
    return dt.timedelta(seconds=86_400 / runs_per_day)


def runs_left_in_month(now: dt.datetime, runs_per_day: int) -> int:
    """Scheduled runs from `now` (this one included) to the end of its calendar month (UTC)."""
    days = calendar.monthrange(now.year, now.month)[1]
    end = now.replace(day=days, hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    return max(1, math.ceil((end - now) / run_period(runs_per_day)))


def time_cap(config: Config, rpa: float) -> int:
    """ASINs one run can fetch within its time allowance at the configured request rate."""
    return _floor(config.rate_per_minute * config.sync_run_time_limit_seconds / 60 / rpa)


def budget_cap(budget: BudgetState, rpa: float, runs_left: int) -> int | None:
    """ASINs this run's share of what is left this month pays for (None: no budget)."""
    if budget.monthly is None:
        return None
    return _floor(budget.left / runs_left / rpa)


@dataclass(frozen=True)
class RunPlan:
    """How many ASINs a run takes, and the selection's `now` (None: the database's now)."""

    limit: int
    select_now: dt.datetime | None
    auto: bool
    capped_by: str  # limit | time | budget | due
    time_cap: int | None
    budget_cap: int | None
    requests_per_asin: float


def plan_run(
    config: Config, budget: BudgetState, rpa: float, now: dt.datetime, *, limit: int | str | None = None
) -> RunPlan:
    """The next run's limit. `auto`: capped by time and by the budget's share of this run; a
    fixed limit: capped only by what is left of the budget."""
    limit = config.hourly_sync_asin_limit if limit is None else limit
    naive = now.replace(tzinfo=None)
    if limit != "auto":
        cap = None if budget.monthly is None else _floor(budget.left / rpa)
        if cap is not None and cap < limit:
            return RunPlan(cap, None, False, "budget", None, cap, rpa)
        return RunPlan(int(limit), None, False, "limit", None, cap, rpa)
    by_time = time_cap(config, rpa)
    by_budget = budget_cap(budget, rpa, runs_left_in_month(naive, config.sync_runs_per_day))
    chosen, reason = by_time, "time"
    if by_budget is not None and by_budget < by_time:
        chosen, reason = by_budget, "budget"
    # Due now or before the next run: the selection looks one run period ahead.
    return RunPlan(chosen, naive + run_period(config.sync_runs_per_day), True, reason, by_time, by_budget, rpa)


def per_run_capacity(config: Config, rpa: float, limit: int | str | None = None) -> int:
    """The most ASINs one run takes: the fixed limit, or for `auto` the time cap."""
    limit = config.hourly_sync_asin_limit if limit is None else limit
    return time_cap(config, rpa) if limit == "auto" else int(limit)


def best_threshold_days(visible: int, rpa: float, per_run: int, runs_per_day: int, monthly: int | None) -> int | None:
    """The smallest threshold (whole days) that the run capacity and the budget hold in steady
    state: every visible ASIN refreshed once per threshold, a month counted as 30 days.
    None when nothing can be fetched at all."""
    per_day = float(per_run * runs_per_day)
    if monthly is not None:
        per_day = min(per_day, monthly / 30 / rpa)
    if visible <= 0:
        return 1
    if per_day <= 0:
        return None
    return max(1, math.ceil(visible / per_day - EPSILON))
