"""`jssync plan`: what the hourly sync will do with this catalogue, threshold and budget.

Reads staging only. With `simulate_days`, replays the policy run by run on a temporary copy of
sync_status (the stored selection function called with each run's time as `p_now`; every call
assumed to succeed at the measured requests per ASIN): it calls no API and, running in
read-only transactions (one a simulated day, the copy vacuumed between days), cannot change a
real row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable

from extract import settings
from extract.families import audit_count
from loaders import catalogue as catalogues
from loaders.execute import run_model
from sync import freshness, pacing
from sync.config import Config

JSON_KEYS = (
    "visible_asins",
    "never_synced",
    "overdue",
    "not_found_waiting",
    "next_batch",
    "projected_requests_per_month",
    "projected_requests_per_month_without_sharing",
    "budget",
    "threshold_days",
    "threshold_holds",
    "best_threshold_days",
)
HORIZON_DAYS = 30
# The marketplace whose demoted family groups the plan's selection respects (`jssync plan` reads
# the catalogue, which is the same for every marketplace; the hourly job syncs this one).
MARKETPLACE = "us"


def with_overrides(
    config: Config, *, budget: int | None = None, stale_days: int | None = None, runs_per_day: int | None = None
) -> Config:
    """`config` with the plan's command-line overrides applied (None keeps the setting)."""
    changes: dict = {}
    if budget is not None:
        changes["monthly_request_budget"] = budget
    if stale_days is not None:
        changes["stale_data_threshold_days"] = stale_days
    if runs_per_day is not None:
        changes["sync_runs_per_day"] = runs_per_day
    return dataclasses.replace(config, **changes)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_plan(conn, config: Config, *, now: dt.datetime | None = None) -> dict:
    """The plan of the next run and the next 30 days, as the `--json` object (plus `due_by_day`)."""
    now = now or _utcnow()
    prefix = config.staging.prefix
    stale, retry = config.stale_data_threshold_days, config.product_not_found_retry_days
    catalogue = catalogues.resolve(conn, prefix, config.catalogue)  # raises CatalogueError
    with conn, conn.cursor() as cur:
        fig = freshness.figures(cur, prefix, stale, retry, catalogue=catalogue, now=now, extras=True)
        state = pacing.BudgetState(config.monthly_request_budget, pacing.month_spent(cur, prefix, now))
        rpa = pacing.requests_per_asin(cur, prefix, config, catalogue=catalogue, marketplace=MARKETPLACE)
        # The same catalogue fetched one sales call per ASIN: the saving of SALES_FAMILY_SHARING.
        rpa_alone = pacing.requests_per_asin(cur, prefix, config, sharing=False) if config.sales_family_sharing else rpa
        carry = pacing.budget_carry(cur, prefix, now=now)
        run_plan = pacing.plan_run(config, state, rpa, now, carry=carry)
        next_batch = 0
        if not state.spent_out and run_plan.limit > 0:
            params = pacing.select_params(config, run_plan, now, marketplace=MARKETPLACE)
            run_model(cur, "plan_next_batch", "staging", prefix, params)
            # The next run's add-new step tracks the untracked visible ASINs first; they are new.
            next_batch = min(run_plan.limit, int(cur.fetchone()[0]) + fig["untracked"])
        run_model(
            cur,
            "plan_due_by_day",
            "staging",
            prefix,
            {"now": now, "stale_days": stale, "retry_days": retry},
            catalogue=catalogue,
        )
        due_by_day = [{"day": int(d), "first_due": int(f), "due": int(n)} for d, f, n in cur.fetchall()]
    demand = sum(d["due"] for d in due_by_day)
    per_run, can_fetch, projected = _projection(config, rpa, demand)
    best = pacing.best_threshold_days(
        fig["visible_asins"], rpa, per_run, config.sync_runs_per_day, config.monthly_request_budget
    )
    return {
        "visible_asins": fig["visible_asins"],
        "never_synced": fig["never_synced"],
        "overdue": fig["overdue"],
        "not_found_waiting": fig["not_found_waiting"],
        "next_batch": next_batch,
        "projected_requests_per_month": projected,
        "projected_requests_per_month_without_sharing": _projection(config, rpa_alone, demand)[2],
        "budget": state.as_dict(),
        "threshold_days": stale,
        "threshold_holds": demand <= can_fetch and best is not None and best <= stale,
        "best_threshold_days": best,
        "due_by_day": due_by_day,
        "requests_per_asin": round(rpa, 4),
        "requests_per_asin_without_sharing": round(rpa_alone, 4),
        "family_sharing": config.sales_family_sharing,
        "per_run_capacity": per_run,
    }


def _projection(config: Config, rpa: float, demand: int) -> tuple[int, int, int]:
    """(ASINs a run can take, ASINs 30 days can fetch, requests a month) at `rpa` requests per
    ASIN, for `demand` ASINs coming due in the next 30 days."""
    per_run = pacing.per_run_capacity(config, rpa)
    can_fetch = per_run * config.sync_runs_per_day * HORIZON_DAYS
    if config.monthly_request_budget is not None:
        can_fetch = min(can_fetch, math.floor(config.monthly_request_budget / rpa + pacing.EPSILON))
    return per_run, can_fetch, math.ceil(min(demand, can_fetch) * rpa - pacing.EPSILON)


def simulate(
    conn, config: Config, days: int, *, now: dt.datetime | None = None, on_day: Callable[[dict], None] | None = None
) -> list[dict]:
    """Replay the policy for `days` days, run by run, on a temporary copy of sync_status.

    One object per day: `day`, `overdue` (visible ASINs not fresh and not waiting on a not-found
    retry, at the day's end), `max_age_days` (oldest product data, or time tracked when never
    synced), `requests` (the day's simulated requests)."""
    now = now or _utcnow()
    prefix = config.staging.prefix
    stale, retry = config.stale_data_threshold_days, config.product_not_found_retry_days
    period = pacing.run_period(config.sync_runs_per_day)
    catalogue = catalogues.resolve(conn, prefix, config.catalogue)  # raises CatalogueError
    with conn, conn.cursor() as cur:
        rpa = pacing.requests_per_asin(cur, prefix, config, catalogue=catalogue, marketplace=MARKETPLACE)
        spent = {(now.year, now.month): pacing.month_spent(cur, prefix, now)}
        carry = {(now.year, now.month): pacing.budget_carry(cur, prefix, now=now)}
        run_model(cur, "plan_sim_copy", "staging", prefix, {"now": now}, catalogue=catalogue)
    out: list[dict] = []
    conn.readonly = True  # from here on, a real table cannot be written, only pg_temp's copy
    try:
        for day in range(1, days + 1):
            # One read-only transaction a day, committed (only the copy holds its writes).
            with conn, conn.cursor() as cur:
                requests = 0
                for run in range(config.sync_runs_per_day):
                    at = now + (day - 1) * dt.timedelta(days=1) + run * period
                    month = (at.year, at.month)
                    state = pacing.BudgetState(config.monthly_request_budget, spent.get(month, 0))
                    if state.spent_out:
                        continue
                    run_plan = pacing.plan_run(config, state, rpa, at, carry=carry.get(month, 0.0))
                    carry[month] = run_plan.budget_carry
                    if run_plan.limit <= 0:
                        continue
                    params = {**pacing.select_params(config, run_plan, at, marketplace=MARKETPLACE), "run_at": at}
                    run_model(cur, "plan_sim_run", "staging", prefix, params)
                    cost = _simulated_cost(config, rpa, *cur.fetchone())
                    if state.left is not None:
                        cost = min(cost, state.left)  # the gate: never past the budget
                    spent[month] = spent.get(month, 0) + cost
                    requests += cost
                end = now + day * dt.timedelta(days=1)
                # The day's end, on the copy: what is neither fresh nor waiting on a retry.
                fig = freshness.figures(cur, prefix, stale, retry, catalogue=catalogue, now=end, extras=True)
            _vacuum_copy(conn, prefix)
            row = {
                "day": day,
                "overdue": fig["overdue"] + fig["never_synced"],
                "max_age_days": fig["max_age_days"],
                "requests": requests,
            }
            out.append(row)
            if on_day is not None:
                on_day(row)
    finally:
        conn.rollback()
        conn.readonly = False
        with conn, conn.cursor() as cur:
            run_model(cur, "plan_sim_drop", "staging", prefix)
    return out


def _simulated_cost(config: Config, rpa: float, asins: int, product_asins: int, sales_calls: int, shared: int) -> int:
    """The requests of one simulated run: `asins` at the measured requests per ASIN; with family
    sharing, counted: a product call per 100 ASINs (sales gaps need none), a sales call per group
    and per other ASIN, and the audit's calls."""
    if not config.sales_family_sharing:
        return math.ceil(asins * rpa - pacing.EPSILON)
    product_calls = math.ceil(product_asins / settings.PRODUCT_BATCH_SIZE)
    return product_calls + sales_calls + audit_count(config.sales_family_audit_percent, shared)


def _vacuum_copy(conn, prefix: str) -> None:
    """VACUUM (ANALYZE) the simulation's copy between days (outside a transaction, as VACUUM runs)."""
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            run_model(cur, "plan_sim_vacuum", "staging", prefix)
    finally:
        conn.autocommit = False


def text(plan: dict) -> str:
    """The plan for a terminal."""
    b = plan["budget"]
    budget = "none" if b["monthly"] is None else f"{b['monthly']} a month ({b['spent']} spent, {b['left']} left)"
    lines = [
        f"Catalogue: {plan['visible_asins']} visible ASINs; {plan['never_synced']} never synced, "
        f"{plan['overdue']} overdue, {plan['not_found_waiting']} not found (waiting to retry)",
        f"Next run: {plan['next_batch']} ASINs (at most {plan['per_run_capacity']} a run; "
        f"{plan['requests_per_asin']} requests per ASIN)",
        "Coming due per day, next 30 days (day: due): "
        + ", ".join(f"{d['day']}: {d['due']}" for d in plan["due_by_day"]),
        f"Projected requests per month: {plan['projected_requests_per_month']}"
        + (
            f" ({plan['projected_requests_per_month_without_sharing']} with one sales call per ASIN; "
            f"family sharing at {plan['requests_per_asin']} requests per ASIN)"
            if plan.get("family_sharing")
            else ""
        ),
        f"Budget: {budget}",
        f"Threshold: {plan['threshold_days']} days "
        + ("holds" if plan["threshold_holds"] else "does NOT hold")
        + "; smallest the budget and the rate allow: "
        + (f"{plan['best_threshold_days']} days" if plan["best_threshold_days"] else "none"),
    ]
    for d in plan.get("days", []):
        lines.append(
            f"  day {d['day']:>3}: {d['overdue']} overdue, oldest {d['max_age_days']} days, {d['requests']} requests"
        )
    return "\n".join(lines)


def as_json(plan: dict) -> dict:
    """Exactly the documented `--json` keys (and `days` after a simulation)."""
    out = {k: plan[k] for k in JSON_KEYS}
    if "days" in plan:
        out["days"] = plan["days"]
    return out
