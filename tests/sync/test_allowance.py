"""One time budget from the run's start (SYNC_RUN_TIME_LIMIT_SECONDS): checked inside a batch,
the catch-up counted, a margin kept for the last merge and report, and logged at the start.

No timed assertion: the sandbox's hold fault (or a lock on production) keeps the run where the
test wants it until the deadline the run itself announced (`allowance.fetch_until`) has passed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from psycopg2 import sql

from sync.config import load
from sync.hourly import run_hourly
from sync.status import SyncStatus
from tests.helpers import connect, free_port, seed, sync_status, wait_for

ASINS = [f"B0TIME{i:04d}" for i in range(6)]


def ledger(staging) -> int:
    return staging.scalar('SELECT coalesce(sum(requests), 0) FROM "{p}jssync_api_usage"')


def past(moment: str) -> bool:
    """Whether the UTC time `moment` (as the status gives it) has passed."""
    return dt.datetime.now(dt.UTC) >= dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))


def in_thread(cfg, progress: list[SyncStatus]):
    pool = ThreadPoolExecutor(1)
    return pool, pool.submit(run_hourly, cfg, "us", on_progress=progress.append)


def test_an_allowance_ending_mid_batch_stops_new_requests_and_merges_what_came(migrated, staging, sandbox):
    seed(staging, ASINS)
    sandbox.set_faults(hold_after=3)  # the product call and 2 sales answered, the next 2 held
    short = dataclasses.replace(migrated, sync_run_time_limit_seconds=5, max_concurrency=2)
    progress: list[SyncStatus] = []
    pool, running = in_thread(short, progress)
    with pool:
        try:
            wait_for(lambda: sandbox.stats()["held"] == 2, what="two sales requests held")
            allowance = progress[-1].allowance
            assert (allowance["limit_seconds"], allowance["margin_seconds"]) == (5, 0.5)
            wait_for(lambda: past(allowance["fetch_until"]), what="the run's fetch deadline")
        finally:
            sandbox.set_faults(hold=False)
        status = running.result(timeout=60)
    # It completed (not stopped early), with what it fetched merged and the rest said.
    assert not status.stopped_early and status.failed_asins == 0
    finished = status.successful_sales_sync  # 4, or 2 if the held answers came after the grace
    left = len(ASINS) - finished
    assert finished in (2, 4) and status.allowance["used_up"] and status.allowance["asins_left"] == left
    assert f"time allowance used up: {left} selected ASINs left for the next run" in status.warnings
    # No request started after the deadline: the last 2 sales were never asked for.
    assert sandbox.stats()["by_endpoint"] == {"products": 1, "sales": 4}
    assert status.api_usage["requests"] == ledger(staging) == 5
    # Nothing lost, no backoff: all 6 have their product data, the `left` wait for their sales
    # (sales gaps: the next run asks for their sales alone, as tests/sync/test_stopping.py shows).
    states = [sync_status(staging, a, "failure_count") for a in ASINS]
    assert all(s["has_product_data"] and s["failure_count"] == 0 and s["error"] is None for s in states)
    assert sum(not s["has_sales_data"] for s in states) == left


def test_the_catch_up_counts_against_the_allowance(migrated, env, staging, production, sandbox):
    seed(staging, ASINS[:2])
    down = run_hourly(load({**env, "DB_PROD_PORT": str(free_port())}), "us")  # production owed 1
    assert down.production_pending == 1
    sent = sandbox.stats()["requests"]
    seed(staging, ASINS[2:5])
    short = dataclasses.replace(migrated, sync_run_time_limit_seconds=2)
    progress: list[SyncStatus] = []
    with connect(migrated, "production") as blocker:
        blocker.autocommit = False
        with blocker.cursor() as cur:  # production is slow: the catch-up waits on this lock
            table = sql.Identifier(migrated.production.prefix + "jungle_scout_product_data")
            cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table))
        pool, running = in_thread(short, progress)
        with pool:
            try:
                wait_for(
                    lambda: production.scalar(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jssync-publish' "
                        "AND datname = current_database() AND wait_event_type = 'Lock'"
                    ),
                    what="the catch-up to wait on production",
                )
                wait_for(lambda: past(progress[-1].allowance["fetch_until"]), what="the run's fetch deadline")
            finally:
                blocker.rollback()
            status = running.result(timeout=60)
    # The catch-up finished, and used the allowance up: no request, the 3 selected ASINs left.
    assert status.production_catch_up == {"ran": True, "applied": 1} and not status.stopped_early
    assert sandbox.stats()["requests"] == sent
    assert "time allowance used up: 3 selected ASINs left for the next run" in status.warnings
    assert status.allowance["used_up"] and status.allowance["asins_left"] == 3
    untouched = [sync_status(staging, a, "failure_count") for a in ASINS[2:5]]
    assert all(not s["has_product_data"] and s["failure_count"] == 0 for s in untouched)  # still due
    # What the catch-up brought level: production holds the first run's ASINs, nothing is owed.
    assert sorted(r[0] for r in production.rows('SELECT asin FROM "{p}jungle_scout_product_data"')) == ASINS[:2]
    assert staging.scalar('SELECT count(*) FROM "{p}jssync_production_outbox" WHERE applied_at IS NULL') == 0


def test_the_run_logs_its_allowance_and_limits_at_the_start(migrated, staging, sandbox, capture_logs):
    seed(staging, ASINS[:1])
    logs = capture_logs(secrets=migrated.secrets())
    budgeted = dataclasses.replace(migrated, monthly_request_budget=500)
    status = run_hourly(budgeted, "us")
    [line] = [e for e in logs.json() if "sync limits" in e["message"]]
    allowance = status.allowance
    for part in (
        "hourly sync limits: time allowance 3000 s",
        f"from {allowance['started_at']} (margin 120 s)",
        f"requests start until {allowance['fetch_until']}",
        f"the run ends by {allowance['ends_by']}",
        "API rate 100000/min, burst 10000/s, at most 32 requests in flight",
        "ASIN limit 100",
        "monthly request budget 500, 500 left (0 spent)",
    ):
        assert part in line["message"]
    assert line["run_id"] == status.run_id and line["severity"] == "INFO"
    assert logs.text.index("sync limits") < logs.text.index("hourly sync completed")
    assert not [secret for secret in migrated.secrets() if secret in logs.text]
