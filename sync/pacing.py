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
from sync.allowance import fetch_seconds
from sync.config import Config

# Requests per ASIN before any run has measured it: one sales call each and one product call
# per 100 ASINs (retries come on top and are measured from the run history).
DEFAULT_REQUESTS_PER_ASIN = 1 + 1 / settings.PRODUCT_BATCH_SIZE
# With SALES_FAMILY_SHARING a run can cost less than one sales call per ASIN, never less than
# its product calls.
MIN_REQUESTS_PER_ASIN = 1 / settings.PRODUCT_BATCH_SIZE


RETRY_SLACK_SHARE = 0.1  # of the run period: the start-time jitter a retry timer tolerates
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
    cur,
    prefix: str,
    config: Config | None = None,
    *,
    sharing: bool | None = None,
    catalogue: object = None,
    marketplace: str = "us",
) -> float:
    """Requests per ASIN measured over the last 30 days of hourly syncs made with the same family
    sharing (`sharing`, default the config's SALES_FAMILY_SHARING), else the estimate: one sales
    call per ASIN and one product call per 100, or with sharing the catalogue's groups counted
    (`catalogue`: the resolved catalogue, loaders.catalogue)."""

    def query(name: str, params: dict | None = None) -> list[tuple]:
        run_model(cur, name, "staging", prefix, params, catalogue=catalogue)
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


def retry_slack_seconds(runs_per_day: int) -> int:
    """How long after a run's start a retry (backoff, not-found) may come due and still be taken
    by that run: a tenth of the run period. Backoffs are measured from a run's start to the
    second, and scheduled runs start seconds early or late (Cloud Scheduler, cold starts), so
    without it a retry due at the next run could wait a whole period more."""
    return round(run_period(runs_per_day).total_seconds() * RETRY_SLACK_SHARE)


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


def budget_cap(budget: BudgetState, rpa: float, runs_left: int, carry: float = 0.0) -> tuple[int | None, float]:
    """ASINs this run's share of what is left this month pays for (None: no budget), and the
    fraction of an ASIN left over for the next run. The share is what is left spread evenly over
    the runs left, plus the fraction the previous run carried over: a share below one ASIN a
    run (150 requests left, 700 runs) adds up to one every few runs instead of rounding to zero
    until the month's last hours. Never more than what is left pays for."""
    if budget.monthly is None:
        return None, 0.0
    share = budget.left / runs_left / rpa + min(max(carry, 0.0), 1.0)
    cap = min(_floor(share), _floor(budget.left / rpa))
    return cap, min(max(share - cap, 0.0), 1.0 - EPSILON)


def budget_carry(cur, prefix: str, run_id: str | None = None, now: dt.datetime | None = None) -> float:
    """The carry of the newest hourly run of this month other than `run_id` (0 when none)."""
    params = {"run_id": run_id, "now": None if now is None else now.replace(tzinfo=None)}
    run_model(cur, "plan_budget_carry", "staging", prefix, params)
    return float(cur.fetchone()[0] or 0.0)


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
    budget_carry: float = 0.0  # of an ASIN: the budget's share this run did not pay for (auto)


def plan_run(
    config: Config,
    budget: BudgetState,
    rpa: float,
    now: dt.datetime,
    *,
    limit: int | str | None = None,
    carry: float = 0.0,
    seconds: float | None = None,
) -> RunPlan:
    """The next run's limit. `auto`: capped by time (`seconds` left to fetch in, default the
    whole allowance less its margin) and by the budget's share of this run (with the `carry` of
    the run before, see budget_cap); a fixed limit: capped only by what is left of the budget."""
    limit = config.hourly_sync_asin_limit if limit is None else limit
    naive = now.replace(tzinfo=None)
    if limit != "auto":
        cap = None if budget.monthly is None else _floor(budget.left / rpa)
        if cap is not None and cap < limit:
            return RunPlan(cap, None, False, "budget", None, cap, rpa)
        return RunPlan(int(limit), None, False, "limit", None, cap, rpa)
    by_time = time_cap(config, rpa, seconds)
    by_budget, carried = budget_cap(budget, rpa, runs_left_in_month(naive, config.sync_runs_per_day), carry)
    chosen, reason = by_time, "time"
    if by_budget is not None and by_budget < by_time:
        chosen, reason = by_budget, "budget"
    else:
        carried = 0.0  # the time cap binds: the budget's share is not the limit, nothing to carry
    # Due now or before the next run: the selection looks one run period ahead.
    select_now = naive + run_period(config.sync_runs_per_day)
    return RunPlan(chosen, select_now, True, reason, by_time, by_budget, rpa, carried)


def select_params(config: Config, plan: RunPlan, now: dt.datetime | None = None, *, marketplace: str = "us") -> dict:
    """The parameters of the selection (sql/queries/select_asins.sql) for `plan`; `now` None is
    the database's now (a plan's own select_now wins). With family sharing a due ASIN brings its
    shared-rank group, unless an audit demoted that group in `marketplace`."""
    return {
        "limit": plan.limit,
        "stale_days": config.stale_data_threshold_days,
        "retry_days": config.product_not_found_retry_days,
        "now": plan.select_now or now,
        "retry_slack": retry_slack_seconds(config.sync_runs_per_day),
        "family_sharing": config.sales_family_sharing,
        "marketplace": marketplace,
    }


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
