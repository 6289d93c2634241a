"""`jssync plan`: a 300,000-ASIN catalogue built with generate_series (exact counts), and the
simulation, which must leave sync_status untouched. Real PostgreSQL; no API call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator

import pytest

from cli import main as cli
from loaders.connections import connection
from sync.plan import JSON_KEYS, simulate, with_overrides
from tests.helpers import Db, kept_logging, run_cli

# 1..150,000 fresh (synced 10.5 days ago), 150,001..190,000 overdue (40 days), 190,001..195,000
# not found 5.5 days ago (waiting to retry), 195,001..200,000 tracked but never synced,
# 200,001..300,000 visible but not tracked yet.
CATALOGUE = """
INSERT INTO "{p}product" (asin, product_visibility)
SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, 300000) AS i;
INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data,
    product_data_synced_at, sales_estimate_data_synced_at, product_fetch_attempted_at, created_at)
SELECT 'B' || lpad(i::text, 9, '0'), i <= 190000, i <= 190000,
       CASE WHEN i <= 150000 THEN now_at - interval '10 days 12 hours'
            WHEN i <= 190000 THEN now_at - interval '40 days' END,
       CASE WHEN i <= 150000 THEN now_at - interval '10 days 12 hours'
            WHEN i <= 190000 THEN now_at - interval '40 days' END,
       CASE WHEN i BETWEEN 190001 AND 195000 THEN now_at - interval '5 days 12 hours' END,
       now_at - interval '100 days'
FROM generate_series(1, 200000) AS i, (SELECT now() AT TIME ZONE 'UTC' AS now_at) AS n;
"""


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """cli.main sets up logging onto this test's stderr; put the logger back afterwards."""
    with kept_logging():
        yield


@pytest.fixture
def big(staging: Db) -> Db:
    staging.execute(CATALOGUE)
    return staging


def plan_json(env: dict, *args: str, **settings: str) -> dict:
    done = run_cli(["plan", "--json", *args], {**env, **settings})
    assert done.returncode == cli.EXIT_OK, done.stderr
    return json.loads(done.stdout)


def test_plan_of_a_300k_catalogue_under_the_go_policy_then_auto_and_a_budget(env, big):
    plan = plan_json(env)
    assert list(plan) == list(JSON_KEYS)
    assert (plan["visible_asins"], plan["never_synced"], plan["overdue"], plan["not_found_waiting"]) == (
        300_000,
        105_000,
        40_000,
        5_000,
    )
    assert plan["next_batch"] == 100
    # 100 an hour: 72,000 ASINs in 30 days, at 1.01 requests each; 300,000 need 125 days.
    assert plan["projected_requests_per_month"] == 72_720
    assert plan["threshold_days"] == 30 and plan["threshold_holds"] is False
    assert plan["best_threshold_days"] == 125
    assert plan["budget"] == {"monthly": None, "spent": 0, "left": None}

    # The same catalogue (built once: it is the expensive part) under `auto`, a budget and 7 days.
    runs_before = plan_runs_left()
    tight = plan_json(env, "--budget", "1000000", "--stale-days", "7", HOURLY_SYNC_ASIN_LIMIT="auto")
    runs_after = plan_runs_left()  # fewer when an hour ended during the plan
    # At 7 days the 150,000 synced 10.5 days ago are overdue too.
    assert (tight["overdue"], tight["threshold_days"]) == (190_000, 7)
    # At 7 days 300,000 ASINs would take about 1.3 million requests a month: the budget caps it.
    assert tight["projected_requests_per_month"] == 1_000_000
    # 1,000,000 a month holds ceil(300,000 x 30 x 1.01 / 1,000,000) = 10 days, not 7.
    assert tight["threshold_holds"] is False and tight["best_threshold_days"] == 10
    assert tight["budget"] == {"monthly": 1_000_000, "spent": 0, "left": 1_000_000}
    # Overdue + never synced (the next run's add-new step tracks the 100,000 untracked ones first),
    # capped by the budget's share of this run: what is left over the hourly runs left this month.
    assert tight["budget"]["left"] == 1_000_000
    assert tight["next_batch"] in {min(share_at(runs), 295_000) for runs in range(runs_after, runs_before + 1)}


def plan_runs_left() -> int:
    """Hourly runs from now to the end of the month (UTC), this one included."""
    import datetime as dt
    import math

    now = dt.datetime.now(dt.UTC)
    nxt = (now.replace(day=28) + dt.timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return math.ceil((nxt - now).total_seconds() / 3600)


def share_at(runs: int) -> int:
    return 1_000_000 * 100 // (runs * 101)


def status_rows(db: Db) -> list[tuple]:
    return db.rows('SELECT * FROM "{p}jungle_scout_sync_status" ORDER BY asin')


def test_simulation_replays_hour_by_hour_and_changes_no_real_row(env, staging):
    staging.execute("""INSERT INTO "{p}product" (asin, product_visibility)
                       SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, 250) AS i""")
    staging.execute("""INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, created_at)
                       SELECT 'B' || lpad(i::text, 9, '0'), false, now() AT TIME ZONE 'UTC'
                       FROM generate_series(1, 50) AS i""")
    before = status_rows(staging)
    plan = plan_json(env, "--simulate-days", "2")
    assert status_rows(staging) == before
    assert staging.scalar('SELECT count(*) FROM "{p}jungle_scout_sync_status"') == 50  # none added
    # 100 an hour: 100, 100 and 50 in the first three runs (1.01 requests per ASIN, rounded up).
    assert [d["requests"] for d in plan["days"]] == [101 + 101 + 51, 0]
    assert [d["overdue"] for d in plan["days"]] == [0, 0]
    assert [d["day"] for d in plan["days"]] == [1, 2]
    # The first batch ran at hour 0: one day old at the end of day 1, two at the end of day 2.
    assert [d["max_age_days"] for d in plan["days"]] == [1.0, 2.0]


def test_simulation_with_a_budget_never_spends_past_it_and_starts_afresh_next_month(migrated, staging):
    staging.execute("""INSERT INTO "{p}product" (asin, product_visibility)
                       SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, 400) AS i""")
    before = status_rows(staging)
    cfg = with_overrides(migrated, budget=150)
    with connection(cfg.staging) as conn:
        # From noon on the last day of a month: 12 runs in November, 12 in December.
        days = simulate(conn, cfg, 1, now=dt.datetime(2026, 11, 30, 12, 0))
    assert status_rows(staging) == before
    # A fixed limit of 100 takes what is left of each month: 101 requests, then 49 (48 ASINs);
    # then nothing until December, which starts again: 101 + 49.
    assert days[0]["requests"] == 150 + 150
    assert days[0]["overdue"] == 400 - 2 * 148


def test_plan_refuses_bad_arguments(env):
    done = run_cli(["plan", "--budget", "0"], env)
    assert done.returncode != cli.EXIT_OK
    assert "'0' is not a positive integer" in done.stderr


# 1,000 visible ASINs, all synced 40 days ago: 600 variations in 200 shared-rank groups of 3
# (their latest product data name the parent and one rank), 400 standalone.
FAMILIES = """
INSERT INTO "{p}product" (asin, product_visibility)
SELECT 'B' || lpad(i::text, 9, '0'), true FROM generate_series(1, 1000) AS i;
INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data,
    product_data_synced_at, sales_estimate_data_synced_at, created_at)
SELECT 'B' || lpad(i::text, 9, '0'), true, true, now_at - interval '40 days', now_at - interval '40 days',
       now_at - interval '100 days'
FROM generate_series(1, 1000) AS i, (SELECT now() AT TIME ZONE 'UTC' AS now_at) AS n;
INSERT INTO "{p}jssync_asin_family" (asin, report_date, parent_asin, product_rank, is_variant)
SELECT 'B' || lpad(i::text, 9, '0'), current_date - 40, 'BP' || lpad(((i - 1) / 3)::text, 8, '0'), 7, true
FROM generate_series(1, 600) AS i;
"""


def test_plan_counts_requests_per_asin_with_family_sharing(env, migrated, staging):
    staging.execute(FAMILIES)
    off = plan_json(env)
    assert off["projected_requests_per_month"] == off["projected_requests_per_month_without_sharing"] == 1010
    on = plan_json(env, SALES_FAMILY_SHARING="on")
    assert list(on) == list(JSON_KEYS)
    # Before any run measured it: 10 product calls, a sales call per group (200) and per
    # standalone ASIN (400), and the audit's 2 % of the 400 shared members: 618 for 1,000 ASINs.
    assert on["projected_requests_per_month"] == 618
    assert on["projected_requests_per_month_without_sharing"] == 1010
    assert on["next_batch"] in (99, 100)  # 100 an hour, groups of 3 taken whole
    # 100 an hour refreshes 1,000 ASINs within a day.
    assert on["best_threshold_days"] == 1 and on["threshold_holds"] is True

    # Measured: the hourly runs made with sharing count, those without do not.
    for calls, sharing in ((62, True), (101, False)):
        status = {"total_api_calls": calls, "total_asins_processed": 100, "plan": {"family_sharing": sharing}}
        staging.execute(
            'INSERT INTO "{p}jssync_runs" (run_id, kind, marketplace, started_at, finished_at, outcome, status) '
            "VALUES (gen_random_uuid(), 'hourly', 'us', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', "
            "'success', %s)",
            (json.dumps(status),),
        )
    measured = plan_json(env, SALES_FAMILY_SHARING="on")
    assert (measured["projected_requests_per_month"], measured["projected_requests_per_month_without_sharing"]) == (
        620,
        1010,
    )

    # The simulation counts the calls a shared run makes: everything is due in its first run.
    cfg = with_overrides(dataclasses.replace(migrated, sales_family_sharing=True, hourly_sync_asin_limit="auto"))
    staging.execute('DELETE FROM "{p}jssync_runs"')
    with connection(cfg.staging) as conn:
        days = simulate(conn, cfg, 1)
    assert days[0]["requests"] == 10 + 200 + 400 + 8 and days[0]["overdue"] == 0
