"""The monthly request budget, end to end: the usage ledger seeded near its limit (real
PostgreSQL), the sandbox over HTTP. Every request counts, retries and 429 answers included."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

import pytest

from sync import pacing, report
from sync.hourly import run_hourly
from sync.master import run_master
from tests.helpers import Db, seed, sync_status

MONTHLY = 10_000


def ledger(db: Db, day: dt.date, requests: int) -> None:
    db.execute(
        "INSERT INTO \"{p}jssync_api_usage\" (day, endpoint, marketplace, requests) VALUES (%s, 'sales', 'us', %s)",
        (day, requests),
    )


def month_total(db: Db) -> int:
    return int(
        db.scalar(
            'SELECT COALESCE(sum(requests), 0) FROM "{p}jssync_api_usage" '
            "WHERE day >= date_trunc('month', now() AT TIME ZONE 'UTC')"
        )
    )


def spend_all_but(db: Db, left: int) -> None:
    """This month holds MONTHLY - left requests (on its first day); last month's do not count."""
    today = dt.datetime.now(dt.UTC).date()
    first = today.replace(day=1)
    ledger(db, first - dt.timedelta(days=1), 5 * MONTHLY)  # last month: another month's budget
    ledger(db, first, MONTHLY - left - 1)
    db.execute(
        'INSERT INTO "{p}jssync_api_usage" (day, endpoint, marketplace, requests) '
        "VALUES (%s, 'products', 'uk', 1) ON CONFLICT DO NOTHING",
        (today,),
    )
    assert month_total(db) == MONTHLY - left


def test_budget_spent_means_no_call_and_a_yellow_report(migrated, staging, sandbox):
    seed(staging, ["B0BUDG0001", "B0BUDG0002"])
    spend_all_but(staging, 0)
    budgeted = dataclasses.replace(migrated, monthly_request_budget=MONTHLY)
    status = run_hourly(budgeted, "us")
    assert sandbox.stats()["requests"] == 0
    assert status.total_api_calls == 0 and not status.stopped_early
    assert "monthly request budget spent" in status.warnings
    assert status.as_dict()["budget"] == {"monthly": MONTHLY, "spent": MONTHLY, "left": 0}
    payload = report.build_payload(status)
    embed = payload["embeds"][0]
    assert embed["color"] == report.YELLOW
    assert "monthly request budget spent" in embed["description"]
    assert month_total(staging) == MONTHLY


def test_a_fixed_limit_is_cut_to_what_the_budget_has_left(migrated, staging, sandbox):
    seed(staging, [f"B0FIXD{i:04d}" for i in range(60)])
    spend_all_but(staging, 40)
    status = run_hourly(dataclasses.replace(migrated, monthly_request_budget=MONTHLY), "us")
    # 40 requests pay for 39 ASINs: one product call and 39 sales calls.
    assert status.total_asins_processed == 39 and status.plan["capped_by"] == "budget"
    assert status.total_api_calls == 40
    assert month_total(staging) == MONTHLY
    assert status.budget == {"monthly": MONTHLY, "spent": MONTHLY, "left": 0}


def test_retries_and_429s_count_and_the_gate_never_lets_a_request_exceed_the_budget(migrated, staging, sandbox):
    seed(staging, [f"B0RTRY{i:04d}" for i in range(60)])
    spend_all_but(staging, 40)
    sandbox.set_faults(rate_limit_next={"count": 3, "endpoint": "sales", "retry_after": 0})
    status = run_hourly(dataclasses.replace(migrated, monthly_request_budget=MONTHLY), "us")
    # The planner counted on 40 requests; three 429s took three of them, so the gate refused
    # the last three sales requests instead of sending them.
    assert sandbox.stats()["requests"] == 40
    assert status.total_api_calls == 40 and status.api_usage["rate_limited"] == 3
    assert month_total(staging) == MONTHLY
    assert "monthly request budget spent" in status.warnings
    # Issue 17 (c): a refused request was never sent: not a failure, no backoff, still due.
    refused = [a for a in (f"B0RTRY{i:04d}" for i in range(39)) if not sync_status(staging, a)["has_sales_data"]]
    assert len(refused) == 3 and status.not_attempted_asins == 3
    assert status.failed_asins == 0 and status.errors.total == 0 and status.outcome == "success"
    for asin in refused:
        row = sync_status(staging, asin, "failure_count", "last_failure_at")
        assert row["has_product_data"] and row["error"] is None
        assert (row["failure_count"], row["last_failure_at"]) == (0, None)
    # Without a budget (as next month), the next run fills those three sales gaps, and the 21 others.
    sandbox.reset()
    after = run_hourly(migrated, "us")
    assert after.sales_gap_asins_synced == 3 and after.new_asins_synced == 21
    assert sandbox.stats()["by_endpoint"] == {"products": 1, "sales": 21 + 3}


def test_a_sales_gap_the_budget_refuses_keeps_its_state_and_stays_due(migrated, staging, sandbox):
    """Issue 17 (c): every request of an ASIN refused: its sync_status row is not touched at all
    (its earlier failure and backoff stay as they were), and it is not a failed ASIN."""
    asin = "B0REFUSED1"
    seed(staging, [asin])
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, product_data_synced_at, error, '
        "failure_count, last_failure_at) VALUES (%s, true, now() AT TIME ZONE 'UTC', 'Sales fetch failed: HTTP 503', "
        "1, (now() AT TIME ZONE 'UTC') - interval '2 hours')",
        (asin,),
    )
    before = sync_status(staging, asin, "failure_count", "last_failure_at", "updated_at")
    spend_all_but(staging, 2)  # a fixed limit of 100 is cut to the one ASIN 2 requests pay for
    sandbox.set_faults(rate_limit_next={"count": 2, "endpoint": "sales", "retry_after": 0})  # 429s take both
    status = run_hourly(dataclasses.replace(migrated, monthly_request_budget=MONTHLY), "us")
    assert status.plan["limit"] == 1 and status.api_usage["rate_limited"] == 2
    assert sandbox.stats()["requests"] == 2 and status.sales_gap_asins_synced == 0
    assert (status.failed_asins, status.errors.total, status.not_attempted_asins) == (0, 0, 1)
    assert sync_status(staging, asin, "failure_count", "last_failure_at", "updated_at") == before


def test_auto_spreads_what_is_left_over_the_runs_left_in_the_month(migrated, staging, sandbox):
    now = dt.datetime.now(dt.UTC)
    runs_left = calendar.monthrange(now.year, now.month)[1] - now.day + 1  # one run a day
    # Each run's share: 31 requests, which pay for 30 ASINs (one product call, 30 sales calls).
    spend_all_but(staging, 31 * runs_left)
    seed(staging, [f"B0SPRD{i:04d}" for i in range(50)])
    daily = dataclasses.replace(
        migrated, monthly_request_budget=MONTHLY, hourly_sync_asin_limit="auto", sync_runs_per_day=1
    )
    status = run_hourly(daily, "us")
    assert status.plan["capped_by"] == "budget" and status.plan["limit"] == 30
    assert status.total_asins_processed == 30 and status.total_api_calls == 31
    assert month_total(staging) == MONTHLY - 31 * (runs_left - 1)


def test_the_status_says_which_threshold_the_budget_holds(migrated, staging, sandbox):
    staging.execute(
        'INSERT INTO "{p}product" (asin, product_visibility) '
        "SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, 3000) AS i"
    )
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
        "product_data_synced_at, sales_estimate_data_synced_at) SELECT 'B' || lpad(i::text, 9, '0'), "
        "true, true, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM generate_series(1, 3000) AS i"
    )
    # 3,000 ASINs within 30 days cost 3,000 x 1.01 = 3,030 requests a month; 1,000 hold 91 days.
    status = run_hourly(dataclasses.replace(migrated, monthly_request_budget=1_000), "us")
    assert status.total_api_calls == 0  # everything is fresh
    assert status.plan["best_threshold_days"] == 91
    assert "the monthly budget of 1000 requests holds a threshold of 91 days, not 30" in status.warnings
    status = run_hourly(dataclasses.replace(migrated, monthly_request_budget=3_030), "us")
    assert status.plan["best_threshold_days"] == 30 and status.warnings == []


def test_a_master_sync_never_spends_past_the_budget_either(migrated, staging, sandbox):
    seed(staging, [f"B0MAST{i:04d}" for i in range(5)])
    spend_all_but(staging, 3)
    status = run_master(
        dataclasses.replace(migrated, monthly_request_budget=MONTHLY), "us", date_range="1month", mode="fresh"
    )
    # One product call and two sales calls fit; the other three sales requests are never sent.
    assert sandbox.stats()["requests"] == 3
    assert month_total(staging) == MONTHLY
    assert status.successful_product_sync == 5 and status.successful_sales_sync == 2
    # A master status shows the budget as read at its start.
    assert status.as_master_dict()["budget"] == {"monthly": MONTHLY, "spent": MONTHLY - 3, "left": 3}


def test_auto_carries_a_share_below_one_asin_over_to_the_next_runs(migrated, staging, sandbox):
    """Issue 17 (d): 150 requests left and about 700 runs left (hourly) is 0.21 ASIN a run. Each run
    carries its unspent fraction over, so ASINs are fetched every few runs from now on instead of
    0 every run until the month's last hours. (The numbers follow the clock: ~0.3 ASIN a run.)"""
    now = dt.datetime.now(dt.UTC)
    # Hourly runs; near the month's end, runs every minute, then every second, so that at least
    # 50 runs are left (all but the month's last 50 seconds).
    per_day = next((r for r in (24, 1440, 86_400) if pacing.runs_left_in_month(now, r) >= 50), 86_400)
    runs_left = pacing.runs_left_in_month(now, per_day)
    if runs_left < 50:
        pytest.skip("the month's last 50 seconds: fewer than 50 runs left even at one run a second")
    left = round(0.3 * runs_left * pacing.DEFAULT_REQUESTS_PER_ASIN)
    share = left / runs_left / pacing.DEFAULT_REQUESTS_PER_ASIN
    assert 0.29 <= share <= 0.31
    today = now.date()
    ledger(staging, today.replace(day=1), 1000)
    monthly = 1000 + left
    # Sales gaps cost one request each (no product call).
    asins = [f"B0CARY{i:04d}" for i in range(5)]
    seed(staging, asins)
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, product_data_synced_at) '
        "SELECT unnest(%s::text[]), true, now() AT TIME ZONE 'UTC'",
        (asins,),
    )
    paced = dataclasses.replace(
        migrated, monthly_request_budget=monthly, hourly_sync_asin_limit="auto", sync_runs_per_day=per_day
    )
    limits, carries = [], []
    for _ in range(4):
        status = run_hourly(paced, "us")
        assert status.plan["capped_by"] == "budget"
        limits.append(status.plan["limit"])
        carries.append(status.plan["budget_carry"])
    assert limits[:3] == [0, 0, 0] and limits[3] == 1  # 0.3, 0.6, 0.9, then 1.2: one ASIN
    assert carries[0] == pytest.approx(share, abs=1e-4) and carries[3] < carries[2]
    assert sandbox.stats()["requests"] == 1 and month_total(staging) == 1000 + 1
