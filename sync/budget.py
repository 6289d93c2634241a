"""Planning a run's work: the monthly budget from the usage ledger, and how many ASINs a run takes.

`auto` takes what is due by the next run, capped by what the run can fetch in its time allowance
at the configured rate and by the budget's share of this run (what is left this month, spread
over the runs left in it). A fixed limit is taken as configured, capped only by what is left.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from extract import settings
from loaders.execute import run_model
from sync.allowance import fetch_seconds
from sync.config import Config

# Requests per ASIN before any run has measured it: one sales call each and one product call
# per 100 ASINs (retries come on top and are measured from the run history).
DEFAULT_REQUESTS_PER_ASIN = 1 + 1 / settings.PRODUCT_BATCH_SIZE


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


def requests_per_asin(cur, prefix: str) -> float:
    """Requests per ASIN measured over the last 30 days of hourly syncs, else the default."""
    run_model(cur, "plan_requests_per_asin", "staging", prefix)
    value = cur.fetchone()[0]
    return max(float(value), DEFAULT_REQUESTS_PER_ASIN) if value else DEFAULT_REQUESTS_PER_ASIN


def run_period(runs_per_day: int) -> dt.timedelta:
    """Time between two scheduled runs."""
    return dt.timedelta(seconds=86_400 / runs_per_day)


def runs_left_in_month(now: dt.datetime, runs_per_day: int) -> int:
    """Scheduled runs from `now` (this one included) to the end of its calendar month (UTC)."""
    days = calendar.monthrange(now.year, now.month)[1]
    end = now.replace(day=days, hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    return max(1, math.ceil((end - now) / run_period(runs_per_day)))


def time_cap(config: Config, rpa: float, seconds: float | None = None) -> int:
    """ASINs one run can fetch at the configured request rate within `seconds`: by default its
    time allowance less the margin kept for the last merge and report (sync.allowance); a run
    that has started passes what is left of it (the catch-up counts against the allowance)."""
    window = fetch_seconds(config.sync_run_time_limit_seconds)
    if seconds is not None:
        window = min(window, seconds)
    return _floor(config.rate_per_minute * window / 60 / rpa)


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
    config: Config,
    budget: BudgetState,
    rpa: float,
    now: dt.datetime,
    *,
    limit: int | str | None = None,
    seconds: float | None = None,
) -> RunPlan:
    """The next run's limit. `auto`: capped by time (`seconds` left to fetch in, default the
    whole allowance less its margin) and by the budget's share of this run; a fixed limit:
    capped only by what is left of the budget."""
    limit = config.hourly_sync_asin_limit if limit is None else limit
    naive = now.replace(tzinfo=None)
    if limit != "auto":
        cap = None if budget.monthly is None else _floor(budget.left / rpa)
        if cap is not None and cap < limit:
            return RunPlan(cap, None, False, "budget", None, cap, rpa)
        return RunPlan(int(limit), None, False, "limit", None, cap, rpa)
    by_time = time_cap(config, rpa, seconds)
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
