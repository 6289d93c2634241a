"""Part `freshness` of `make bench` (issue 11): keeping a large catalogue fresh.

1. Scale: with N tracked ASINs (300,000), how long cleanup, add-new, selection, the freshness
   figures and `jssync plan` take; and the merge of a 100-ASIN batch with 10 million rows already
   in the sales table against an empty one (target: at most 1.5x).
2. Policies: `jssync plan --simulate-days` over 60 days of the same catalogue (a third new at day
   0, the rest synced over the last 60 days): the Go policy (100 an hour, 30 days) against `auto`
   at thresholds 30, 14 and 7 days, without and with a monthly budget; per policy the share fresh
   and the oldest age by day, requests per month, and the selection time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, Databases, bench_asins, land, sql_macros
from loaders.catalogue import Catalogue
from loaders.connections import connection
from loaders.execute import run_model
from loaders.merge import StagingTransaction, merge_staging
from loaders.render import render
from sandbox.jungle_scout import Sandbox
from sandbox.postgres import PgServer
from sync import config as config_mod
from sync import plan as plan_mod

PREFIX = "bf_"
BUDGET = 1_000_000  # requests a month for the budgeted policies
MERGE_TARGET_RATIO = 1.5
UNDER_A_SECOND = 1.0
CATALOGUE = Catalogue.default(PREFIX)  # the seed's {prefix}product, as the bench fills it


def _config(dbs: Databases, **changes: Any) -> config_mod.Config:
    env = {**dbs.env(PREFIX), "JUNGLE_SCOUT_API_KEY": "bench", "JUNGLE_SCOUT_RATE_PER_MINUTE": "300"}
    return dataclasses.replace(config_mod.load(env, needs=["db"]), **changes)


def _timed(conn, name: str, params: dict | None = None, repeats: int = 3) -> float:
    """Median seconds of query `name`, each run rolled back so the next sees the same data."""
    times = []
    for _ in range(repeats):
        with conn.cursor() as cur:
            start = time.perf_counter()
            run_model(cur, name, "staging", PREFIX, params, catalogue=CATALOGUE)
            if cur.description:
                cur.fetchall()
            times.append(time.perf_counter() - start)
        conn.rollback()
    return round(statistics.median(times), 4)


def scale(dbs: Databases, n: int, start_at: dt.datetime, log: Callable[[str], None]) -> dict[str, Any]:
    """Step timings at `n` visible ASINs (a third not tracked yet)."""
    cfg = _config(dbs)
    tracked = n - n // 3
    with connection(cfg.staging) as conn:
        with conn, conn.cursor() as cur:
            cur.execute(sql_macros("freshness.sql", PREFIX).catalogue(), {"n": n, "tracked": tracked, "now": start_at})
        sel = {
            "limit": 100,
            "stale_days": 30,
            "retry_days": 15,
            "now": None,
            "retry_slack": 360,
            "family_sharing": False,
            "marketplace": "us",
        }
        out: dict[str, Any] = {
            "visible_asins": n,
            "new_at_day_0": n - tracked,
            "add_new_of_the_new_third_s": _timed(conn, "add_new_visible", repeats=1),
        }
        with conn, conn.cursor() as cur:
            run_model(cur, "add_new_visible", "staging", PREFIX, catalogue=CATALOGUE)
            cur.execute(f'ANALYZE "{PREFIX}jungle_scout_sync_status"')
        # The hourly steps with every visible ASIN tracked (the steady state the issue times).
        out["cleanup_s"] = _timed(conn, "cleanup_invisible")
        out["add_new_s"] = _timed(conn, "add_new_visible")
        out["select_100_s"] = _timed(conn, "select_asins", sel)
        out["select_10000_s"] = _timed(conn, "select_asins", {**sel, "limit": 10_000})
        out["freshness_s"] = _timed(conn, "freshness", {"now": None, "threshold_days": 30, "retry_days": 15})
        start = time.perf_counter()
        plan_mod.make_plan(conn, cfg)
        out["plan_s"] = round(time.perf_counter() - start, 4)
    # The steps every hourly run takes (the freshness figures are read at each run's end).
    hourly = ("cleanup_s", "add_new_s", "select_100_s", "freshness_s")
    out["under_a_second"] = all(out[k] < UNDER_A_SECOND for k in hourly)
    log(
        f"  {n} ASINs: cleanup {out['cleanup_s']}s, add-new {out['add_new_s']}s, "
        f"select 100 {out['select_100_s']}s, select 10,000 {out['select_10000_s']}s, "
        f"freshness {out['freshness_s']}s, plan {out['plan_s']}s"
    )
    return out


def merge_ratio(
    server: PgServer, work: Path, history_rows: int, repeats: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Seconds to merge one landed 100-ASIN batch into staging: empty sales table vs `history_rows`."""
    asins = bench_asins(100, "FM")
    with Sandbox(rate_per_minute=1_000_000, burst_per_second=100_000) as sandbox:
        landing, load = land(sandbox.base_url, work / "landing", asins, dt.date.today())
    result: dict[str, Any] = {"asins": len(asins), "history_rows": history_rows}
    for label, rows in (("empty", 0), ("history", history_rows)):
        with Databases(server, f"fm{label[0]}") as dbs:
            targets = dbs.migrated(PREFIX)
            with connection(targets["staging"]) as conn:
                if rows:
                    started = time.perf_counter()
                    with conn, conn.cursor() as cur:
                        cur.execute(sql_macros("freshness.sql", PREFIX).sales_history(), {"n": rows})
                    log(f"  {rows} sales rows written in {time.perf_counter() - started:.0f}s")
                times = []
                for attempt in range(repeats + 1):
                    start = time.perf_counter()
                    merge_staging(conn, PREFIX, landing, load, StagingTransaction(str(uuid.uuid4())))
                    if attempt:  # the first merge warms caches up and is not counted
                        times.append(time.perf_counter() - start)
                    with conn, conn.cursor() as cur:
                        cur.execute(sql_macros("freshness.sql", PREFIX).forget_batch(), {"asins": asins})
        result[f"{label}_s"] = round(statistics.median(times), 4)
    result["ratio"] = round(result["history_s"] / result["empty_s"], 3)
    result["within_target"] = result["ratio"] <= MERGE_TARGET_RATIO
    log(
        f"  merge of 100 ASINs: {result['empty_s']}s empty, {result['history_s']}s with {history_rows} "
        f"sales rows: x{result['ratio']}"
    )
    return result


POLICIES = [("go_100_an_hour_30d", 100, 30, None)] + [
    (f"auto_{d}d" + ("_budget" if b else ""), "auto", d, b) for b in (None, BUDGET) for d in (30, 14, 7)
]


def policies(dbs: Databases, days: int, start_at: dt.datetime, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Each policy simulated for `days` days on a fresh copy of the same catalogue."""
    out = []
    base = _config(dbs)
    for name, limit, stale, budget in POLICIES:
        cfg = dataclasses.replace(
            base, hourly_sync_asin_limit=limit, stale_data_threshold_days=stale, monthly_request_budget=budget
        )
        with connection(cfg.staging) as conn:
            plan = plan_mod.make_plan(conn, cfg, now=start_at)
            started = time.perf_counter()
            simulated = plan_mod.simulate(conn, cfg, days, now=start_at)
            seconds = time.perf_counter() - started
        visible = plan["visible_asins"]
        by_day = [
            {
                "day": d["day"],
                "fresh_pct": round(100 * (visible - d["overdue"]) / visible, 2),
                "max_age_days": d["max_age_days"],
                "requests": d["requests"],
            }
            for d in simulated
        ]
        months = [sum(d["requests"] for d in simulated[i : i + 30]) for i in range(0, len(simulated), 30)]
        row = {
            "policy": name,
            "limit": limit,
            "threshold_days": stale,
            "budget": budget,
            "best_threshold_days": plan["best_threshold_days"],
            "threshold_holds": plan["threshold_holds"],
            "requests_per_30_days": months,
            "final_fresh_pct": by_day[-1]["fresh_pct"],
            "final_max_age_days": by_day[-1]["max_age_days"],
            "simulation_s": round(seconds, 1),
            "by_day": by_day,
        }
        out.append(row)
        log(
            f"  {name}: fresh {row['final_fresh_pct']}% on day {days}, oldest {row['final_max_age_days']} "
            f"days, requests per 30 days {months}, best threshold {row['best_threshold_days']} d "
            f"({row['simulation_s']}s)"
        )
    return out


def start_of_next_month() -> dt.datetime:
    """Where the simulation starts: a whole month ahead, so the budget's spread is plain to see."""
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def run(
    server: PgServer,
    work: Path,
    *,
    asins: int = 300_000,
    days: int = 60,
    history_rows: int = 10_000_000,
    repeats: int = 3,
    log: Callable[[str], None] = lambda line: print(line, flush=True),
) -> dict[str, Any]:
    """The whole part; sizes shrink for --quick."""
    start_at = start_of_next_month()
    with Databases(server, "fr") as dbs:
        dbs.migrated(PREFIX)
        with connection(dbs.settings("staging", PREFIX)) as conn, conn, conn.cursor() as cur:
            cur.execute(render(str(ROOT / "sql" / "fixtures" / "product.sql"), "staging", PREFIX))
        result: dict[str, Any] = {"scale": scale(dbs, asins, start_at, log)}
        result["policies"] = policies(dbs, days, start_at, log)
    result["merge"] = merge_ratio(server, work, history_rows, repeats, log)
    result["budget"] = BUDGET
    result["simulation_start"] = start_at.isoformat()
    return result
