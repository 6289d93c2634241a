"""Trustworthy under faults: one sync at a time, crashes lose nothing, a busy landing file,
deadlocks retried, production catching up after an outage of a whole run."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loaders.connections import connect
from loaders.execute import in_transaction
from sandbox.tcpproxy import TcpProxy
from sync.config import load
from sync.hourly import run_hourly
from tests.helpers import APPLICATION_NAME, Db, jssync_process, run_cli, seed, wait_for

TODAY = dt.datetime.now(dt.UTC).date()
YESTERDAY = TODAY - dt.timedelta(days=1)
DAYS = (YESTERDAY - YESTERDAY.replace(year=YESTERDAY.year - 1)).days + 1
ASINS = [f"B0CRASH{i:03d}" for i in range(6)]


ADVISORY_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def kill(process: subprocess.Popen, staging: Db) -> None:
    """SIGKILL a sync, then wait until PostgreSQL has ended its sessions: their sockets close
    with the process, but a backend notices a moment later (until then it still holds the lock)."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    wait_for(lambda: staging.scalar(ADVISORY_LOCKS) == 0, what="PostgreSQL to end the dead session")


def checksum(db: Db, table: str) -> str:
    return db.scalar(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{{p}}{table}\" t")


def assert_complete(staging: Db, production: Db, asins: list[str]) -> None:
    """Every ASIN fully synced exactly once, both databases equal, sync_status agreeing with data."""
    for db in (staging, production):
        products = db.rows('SELECT asin, report_date, count(*) FROM "{p}jungle_scout_product_data" GROUP BY 1, 2')
        assert sorted((a, d, n) for a, d, n in products) == [(a, TODAY, 1) for a in sorted(asins)]
        sales = dict(db.rows('SELECT asin, count(*) FROM "{p}jungle_scout_sales_estimate_data" GROUP BY 1'))
        assert sales == {a: DAYS for a in asins}
    for table in ("jungle_scout_product_data", "jungle_scout_sales_estimate_data"):
        assert checksum(staging, table) == checksum(production, table)
    states = staging.rows('SELECT asin, has_product_data, has_sales_data, error FROM "{p}jungle_scout_sync_status"')
    assert sorted(states) == [(a, True, True, None) for a in sorted(asins)]
    assert staging.scalar('SELECT count(*) FROM "{p}jssync_production_outbox" WHERE applied_at IS NULL') == 0


def production_through(env: dict[str, str], proxy: TcpProxy) -> dict[str, str]:
    return {**env, "DB_PROD_HOST": proxy.host, "DB_PROD_PORT": str(proxy.port)}


def test_sigkill_during_extract(migrated, env, staging, production, sandbox):
    seed(staging, ASINS)
    sandbox.set_faults(latency=0.3)
    process = jssync_process(["hourly"], env)
    wait_for(lambda: sandbox.stats()["by_endpoint"]["sales"] >= 2, what="sales requests")
    kill(process, staging)
    sandbox.set_faults(latency=0)
    status = run_hourly(migrated, "us")
    assert status.total_asins_processed == len(ASINS) and status.failed_asins == 0
    assert_complete(staging, production, ASINS)


def test_sigkill_between_staging_and_production(migrated, env, staging, production, sandbox, pg_server):
    seed(staging, ASINS)
    with TcpProxy(pg_server.host, pg_server.port, delay=5.0) as slow:
        process = jssync_process(["hourly"], production_through(env, slow))
        wait_for(
            lambda: staging.scalar('SELECT count(*) FROM "{p}jssync_production_outbox"') == 1, what="the staging merge"
        )
        kill(process, staging)
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 0
    status = run_hourly(migrated, "us")
    assert status.production_catch_up == {"ran": True, "applied": 1}
    assert status.total_asins_processed == 0  # nothing left to fetch: staging had it all
    assert_complete(staging, production, ASINS)


def test_sigkill_during_production_merge(migrated, env, staging, production, sandbox, pg_server):
    seed(staging, ASINS)
    with TcpProxy(pg_server.host, pg_server.port, delay=0.25) as slow:
        process = jssync_process(["hourly"], production_through(env, slow))
        wait_for(
            lambda: (
                production.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jssync-publish' "
                    "AND datname = current_database() AND xact_start IS NOT NULL"
                )
                == 1
            ),
            what="the production transaction",
        )
        kill(process, staging)
    wait_for(
        lambda: (
            production.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'jssync-publish' AND datname = current_database()"
            )
            == 0
        ),
        what="the dead connection to go",
    )
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 0
    status = run_hourly(migrated, "us")
    assert status.production_catch_up["ran"] is True
    assert_complete(staging, production, ASINS)


def test_production_down_for_a_whole_run_then_back(migrated, env, staging, production, sandbox, pg_server):
    seed(staging, ASINS[:3])
    with TcpProxy(pg_server.host, pg_server.port) as proxy:
        proxy.cut()
        down = run_hourly(load(production_through(env, proxy)), "us")
        assert down.production_pending == 1 and not down.stopped_early
        seed(staging, ASINS[3:])
        still_down = run_hourly(load(production_through(env, proxy)), "us")
        assert still_down.production_pending == 2
        proxy.restore()
        back = run_hourly(load(production_through(env, proxy)), "us")
    assert back.production_catch_up == {"ran": True, "applied": 2}
    assert back.production_pending == 0
    assert_complete(staging, production, ASINS)


def test_two_syncs_at_once_only_one_runs(migrated, env, staging, production, sandbox):
    seed(staging, ASINS[:2])
    sandbox.set_faults(hold=True)  # the first sync waits on its first API answer until released
    with jssync_process(["hourly"], env) as first:  # pipes closed and child waited for, whatever happens
        try:
            wait_for(lambda: sandbox.stats()["in_flight"] >= 1, what="the first sync to call the API")
            second = run_cli(["hourly", "--json"], env)  # in process; the first holds the lock from its own
        finally:
            sandbox.set_faults(hold=False)
        assert second.returncode == 3
        assert "another sync is running" in second.stderr
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert_complete(staging, production, ASINS[:2])


def test_lock_of_a_killed_sync_is_released_by_postgres(migrated, env, staging, production, sandbox):
    seed(staging, ASINS[:2])
    sandbox.set_faults(hold=True)  # the sync waits on its first API answer, holding the lock
    process = jssync_process(["hourly"], env)
    try:
        wait_for(lambda: sandbox.stats()["in_flight"] >= 1, what="the sync to hold the lock")
        kill(process, staging)
    finally:
        sandbox.set_faults(hold=False)
    assert staging.scalar(ADVISORY_LOCKS) == 0  # kill() waited for PostgreSQL to release it
    status = run_hourly(migrated, "us")
    assert not status.stopped_early
    assert_complete(staging, production, ASINS[:2])


def test_landing_file_held_by_an_analyst(migrated, env, staging, production, sandbox):
    seed(staging, ASINS[:1])
    assert not run_hourly(migrated, "us").stopped_early
    landing = Path(env["LANDING_DIR"]) / "jssync.duckdb"
    analyst = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(landing)!r}, read_only=True)\n"
            "print(con.sql('select count(*) from landing.products').fetchall()[0][0], flush=True)\n"
            "time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.stdout.readline().strip() == "1"
        seed(staging, ASINS[1:3])
        held = {**env, "LANDING_LOCK_WAIT_SECONDS": "1"}
        result = run_cli(["hourly", "--json"], held)
        assert result.returncode == 0, result.stderr
        import json

        status = json.loads(result.stdout)
        assert status["landing"]["fallback"] is True
        assert "locked by another process" in status["landing"]["reason"]
        assert status["successful_product_sync"] == 2
    finally:
        analyst.kill()
        analyst.communicate()
    assert_complete(staging, production, ASINS[:3])


def test_deadlock_is_retried_as_a_whole_transaction(migrated, staging):
    staging.execute("CREATE TABLE IF NOT EXISTS deadlock_demo (id int PRIMARY KEY, n int)")
    staging.execute("INSERT INTO deadlock_demo VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING")
    a, b = (connect(migrated.staging, application_name=APPLICATION_NAME) for _ in range(2))
    b_waits_for_row_1 = threading.Event()
    attempts: list[int] = []
    errors: list[BaseException] = []

    def in_b() -> None:
        def work(cur) -> None:
            attempts.append(1)
            # b notices the deadlock first, so PostgreSQL aborts b's transaction, not a's
            cur.execute("SET LOCAL deadlock_timeout = '1s'")
            cur.execute("UPDATE deadlock_demo SET n = n + 1 WHERE id = 2")
            b_waits_for_row_1.set()
            cur.execute("UPDATE deadlock_demo SET n = n + 1 WHERE id = 1")

        try:
            in_transaction(b, work, what="test")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    try:
        with a.cursor() as cur:
            cur.execute("SET deadlock_timeout = '5s'")
            cur.execute("UPDATE deadlock_demo SET n = n + 1 WHERE id = 1")
            thread = threading.Thread(target=in_b)
            thread.start()
            assert b_waits_for_row_1.wait(10)
            cur.execute("UPDATE deadlock_demo SET n = n + 1 WHERE id = 2")  # closes the cycle
        a.commit()
        thread.join(30)
    finally:
        a.close()
        b.close()
    assert errors == []
    assert not thread.is_alive()
    assert len(attempts) == 2  # b lost the deadlock, then ran again whole
    assert staging.rows("SELECT id, n FROM deadlock_demo ORDER BY id") == [(1, 2), (2, 2)]


def test_staging_lost_mid_run_stops_early_with_a_status(migrated, env, staging, production, sandbox, pg_server):
    seed(staging, ASINS[:3])
    sandbox.set_faults(latency=0.5)
    with TcpProxy(pg_server.host, pg_server.port) as proxy, ThreadPoolExecutor(1) as pool:
        # In a thread of this process: nothing here needs a process boundary (exit 1 for a run that
        # stopped early: tests/sync/test_failures.py).
        cfg = load({**env, "DB_STAGING_HOST": proxy.host, "DB_STAGING_PORT": str(proxy.port)})
        running = pool.submit(run_hourly, cfg, "us")
        wait_for(lambda: sandbox.stats()["by_endpoint"]["sales"] >= 1, what="the sales requests")
        proxy.cut()
        status = running.result(timeout=60).as_dict()
    assert status["stopped_early"] is True and status["is_running"] is False
    assert status["stop_reason"].startswith("Staging merge failed")
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 0
    # staging holds nothing half-done: the ASINs are simply due again
    sandbox.set_faults(latency=0)
    assert run_hourly(migrated, "us").total_asins_processed == 3
    assert_complete(staging, production, ASINS[:3])


def test_a_run_that_lost_its_lock_session_never_merges(migrated, env, staging, production, sandbox):
    seed(staging, ASINS[:2])
    sandbox.set_faults(hold=True)  # the first sync waits on its first API answer, mid-run
    first = jssync_process(["hourly", "--json"], env)
    try:
        wait_for(lambda: sandbox.stats()["in_flight"] >= 1, what="the first sync's API request")
        # a failover or a DBA ends the session that holds the lock
        staging.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
            "'jssync-lock' AND datname = current_database()"
        )
    finally:
        sandbox.set_faults(hold=False)
    second = run_hourly(migrated, "us")  # the lock is free: this one runs
    assert not second.stopped_early and second.successful_product_sync == 2
    out, err = first.communicate(timeout=60)
    assert first.returncode == 1, err
    assert "lost its one-sync lock" in json.loads(out)["stop_reason"]
    assert staging.scalar('SELECT count(*) FROM "{p}jssync_production_outbox"') == 1  # merged once
    assert_complete(staging, production, ASINS[:2])


def test_a_run_that_lost_its_lock_before_publishing_never_writes_production(
    migrated, env, staging, production, sandbox
):
    """Issue 17 (f): the publish checks the lock as the staging merge does. The run's production
    transaction waits (a table lock held here), its lock session is ended meanwhile: it rolls
    production back and stops, the merge stays owed, and the next holder of the lock publishes it."""
    seed(staging, ASINS[:2])
    blocker = connect(migrated.production, application_name=APPLICATION_NAME)
    try:
        with blocker.cursor() as cur:  # a transaction of its own, open until the rollback below
            cur.execute(f'LOCK TABLE "{migrated.production.prefix}jungle_scout_product_data" IN EXCLUSIVE MODE')
        first = jssync_process(["hourly", "--json"], env)
        wait_for(
            lambda: (
                production.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jssync-publish' "
                    "AND datname = current_database() AND wait_event_type = 'Lock'"
                )
                == 1
            ),
            what="the run's production transaction to wait",
        )
        # a failover or a DBA ends the session that holds the run's lock
        staging.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
            "'jssync-lock' AND datname = current_database()"
        )
    finally:
        blocker.rollback()
        blocker.close()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 1, err
    assert "lost its one-sync lock" in json.loads(out)["stop_reason"]
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 0
    assert staging.scalar('SELECT count(*) FROM "{p}jssync_production_outbox" WHERE applied_at IS NULL') == 1
    after = run_hourly(migrated, "us")  # the next run holds the lock: it publishes what is owed
    assert after.production_catch_up == {"ran": True, "applied": 1}
    assert_complete(staging, production, ASINS[:2])
