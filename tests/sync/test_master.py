"""The master sync and the manual syncs end to end: real PostgreSQL, the sandbox over HTTP, and
a `jssync master` process killed mid-way and resumed."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from cli import main as cli
from extract.fetch import sales_range
from sync import logs
from sync.guard import SyncAlreadyRunning, SyncLock
from sync.manual import run_manual
from sync.master import run_master
from tests.api.support import JWT_SECRET, admin
from tests.helpers import Db, jssync_process, seed, wait_for

TODAY = dt.datetime.now(dt.UTC).date()
ROOT = Path(__file__).resolve().parents[2]


def asins(n: int, start: int = 0, letter: str = "M") -> list[str]:
    return [f"B0{letter}{i:07d}" for i in range(start, start + n)]


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """A JWT secret of HS256's full 32 bytes (the status endpoint is read in one test)."""
    return {**env, "JWT_SECRET": JWT_SECRET}


def asked(sandbox, endpoint: str) -> list[str]:
    """The ASINs the sandbox was asked about on `endpoint` (products or sales), in order."""
    return [a for e in sandbox.stats()["log"] if e["endpoint"] == endpoint for a in e["asins"]]


def queue(db: Db) -> dict[str, bool]:
    return dict(db.rows('SELECT asin, done_at IS NOT NULL FROM "{p}jssync_master_queue"'))


def sales_dates(db: Db, asin: str) -> tuple[dt.date, dt.date, int]:
    return db.rows(
        'SELECT min(date), max(date), count(*) FROM "{p}jungle_scout_sales_estimate_data" WHERE asin = %s', (asin,)
    )[0]


def test_fresh_master_syncs_every_visible_asin_in_batches(migrated, staging, production, sandbox):
    visible = asins(150)
    unknown = "B0ZZMASTR1"
    seed(staging, [*visible, unknown])
    seed(staging, asins(2, letter="H"), visible=False)
    # Synced a week ago: fresh resets its flags, so it is fetched again with the chosen range.
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
        "product_data_synced_at, sales_estimate_data_synced_at) VALUES (%s, true, true, "
        "(now() AT TIME ZONE 'UTC') - interval '7 days', (now() AT TIME ZONE 'UTC') - interval '7 days')",
        (visible[0],),
    )
    seen: list[tuple[int, int, int]] = []

    status = run_master(
        migrated,
        "us",
        date_range="1month",
        mode="fresh",
        on_progress=lambda s: seen.append((s.current_batch, s.total_batches, s.total_asins_processed)),
    )
    body = status.as_master_dict()

    assert body["stopped_early"] is False and body["is_running"] is False
    assert (body["total_asins"], body["total_batches"], body["current_batch"]) == (151, 2, 2)
    assert body["processed_asins"] == 151
    assert (body["successful_product_sync"], body["successful_sales_sync"], body["failed_asins"]) == (150, 150, 1)
    assert body["total_api_calls"] == 2 + 150 and body["date_range"] == "1month" and body["sync_mode"] == "fresh"
    # The status advanced while it ran: batch 1 started at 0 processed, batch 2 at 100.
    assert (1, 2, 0) in seen and (2, 2, 100) in seen and seen[-1] == (2, 2, 151)
    assert sorted(asked(sandbox, "products")) == sorted([*visible, unknown])
    assert sorted(asked(sandbox, "sales")) == sorted(visible)

    expected = sales_range(None, TODAY, "1month")
    for db in (staging, production):
        assert db.scalar('SELECT count(DISTINCT asin) FROM "{p}jungle_scout_product_data"') == 150
        for asin in (visible[0], visible[-1]):
            first, last, points = sales_dates(db, asin)
            assert (first, last) == expected and points == (last - first).days + 1
    assert queue(staging) == dict.fromkeys([*visible, unknown], True)
    saved = staging.rows('SELECT kind, outcome, status FROM "{p}jssync_runs" WHERE run_id = %s', (status.run_id,))
    assert saved[0][:2] == ("master", "failures")  # the unknown ASIN
    assert saved[0][2]["processed_asins"] == 151 and saved[0][2]["total_batches"] == 2


def test_failed_asins_stay_queued_and_resume_keeps_the_range(migrated, staging, sandbox):
    todo = asins(5)
    seed(staging, todo)
    sandbox.set_faults(fail_asins={todo[2]: 500})
    first = run_master(migrated, "us", date_range="1year", mode="fresh")
    assert first.failed_asins == 1
    assert queue(staging) == {a: a != todo[2] for a in todo}  # a failed fetch is not done

    sandbox.reset()
    resumed = run_master(migrated, "us", mode="resume")  # no range given: keep the queue's 1year
    assert (resumed.sync_mode, resumed.date_range, resumed.total_asins) == ("resume", "1year", 1)
    assert asked(sandbox, "products") == [todo[2]] and asked(sandbox, "sales") == [todo[2]]
    first_day, last_day, _ = sales_dates(staging, todo[2])
    assert (first_day, last_day) == sales_range(None, TODAY, "1year")
    assert all(queue(staging).values())

    sandbox.reset()
    again = run_master(migrated, "us", mode="resume")  # nothing left: no request at all
    assert again.total_asins == 0 and again.stopped_early is False and sandbox.stats()["requests"] == 0


def test_resume_without_a_queue_starts_fresh(migrated, staging, sandbox):
    seed(staging, asins(3))
    status = run_master(migrated, "us", mode="resume")
    assert (status.sync_mode, status.date_range, status.total_asins_processed) == ("fresh", "1month", 3)


def test_master_refuses_while_another_sync_runs(migrated, staging, sandbox):
    seed(staging, asins(2))
    with SyncLock(migrated.staging), pytest.raises(SyncAlreadyRunning):
        run_master(migrated, "us")
    assert sandbox.stats()["requests"] == 0


@pytest.fixture
def restore_logging():
    yield
    logger = logging.getLogger(logs.ROOT)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


def test_cli_master_prints_the_status_and_maps_exit_codes(
    migrated, env, staging, sandbox, monkeypatch, capsys, restore_logging
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seed(staging, asins(2))
    assert cli.main(["master", "--json", "--date-range", "1year"]) == cli.EXIT_OK
    captured = capsys.readouterr()
    body = json.loads(captured.out)
    assert body["processed_asins"] == 2 and body["date_range"] == "1year" and body["is_running"] is False
    assert "master sync batch 1/1" in captured.err  # not a terminal: a log line per batch

    monkeypatch.setattr(sys, "argv", ["jssync", "master", "--mode", "resume"])
    with SyncLock(migrated.staging), pytest.raises(SystemExit) as busy:
        cli.script()
    assert busy.value.code == cli.EXIT_BUSY
    monkeypatch.delenv("DB_STAGING_HOST")
    with pytest.raises(SystemExit) as invalid:
        cli.script()
    assert invalid.value.code == cli.EXIT_CONFIG and "DB_STAGING_HOST is missing" in capsys.readouterr().err


def test_manual_syncs_fetch_one_side_only(migrated, staging, production, sandbox):
    listed = asins(3, letter="P")
    seed(staging, asins(4))

    product = run_manual(migrated, "product", "us", [*listed, listed[0]])  # duplicates asked once
    assert (product.total_asins_processed, product.successful_product_sync, product.failed_asins) == (3, 3, 0)
    assert sorted(asked(sandbox, "products")) == sorted(listed) and asked(sandbox, "sales") == []
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 3
    flags = staging.rows(
        'SELECT has_product_data, has_sales_data FROM "{p}jungle_scout_sync_status" WHERE asin = ANY(%s)', (listed,)
    )
    assert flags == [(True, False)] * 3

    sandbox.reset()
    sales = run_manual(migrated, "sales", "us")  # every visible ASIN
    assert (sales.total_asins_processed, sales.successful_sales_sync, sales.new_asins_added) == (4, 4, 4)
    assert asked(sandbox, "products") == [] and sorted(asked(sandbox, "sales")) == asins(4)
    assert production.scalar('SELECT count(DISTINCT asin) FROM "{p}jungle_scout_sales_estimate_data"') == 4
    assert (
        staging.scalar(
            'SELECT count(*) FROM "{p}jungle_scout_sync_status" WHERE has_sales_data AND NOT has_product_data'
        )
        == 4
    )


def test_killed_master_resumes_without_refetching_finished_asins(migrated, env, staging, sandbox, tmp_path):
    todo = asins(200)
    seed(staging, todo)
    # Batch 1's product call and 100 sales calls are answered, then batch 2's product call and 10
    # sales; its other requests wait. The child is killed with batch 1 merged and batch 2 half
    # fetched, whatever the machine's speed (no latency to race against).
    sandbox.set_faults(hold_after=(1 + 100) + (1 + 10))
    log_file = tmp_path / "master.log"
    with log_file.open("w") as sink:
        child = jssync_process(
            ["master", "--mode", "fresh", "--date-range", "1month"],
            env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            # Batch 1 merged (queue), its status saved (jssync_runs) and its progress line logged.
            wait_for(
                lambda: (
                    staging.scalar(
                        "SELECT coalesce(max((status->>'processed_asins')::int), 0) "
                        "FROM \"{p}jssync_runs\" WHERE kind = 'master'"
                    )
                    >= 100
                    and "master sync batch 1/2" in log_file.read_text()
                    and sandbox.stats()["held"] > 0
                ),
                timeout=40,
                interval=0.02,
            )
            answered = sandbox.stats()["by_endpoint"]
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=10)
            sandbox.set_faults(hold=False)
    assert child.returncode == -signal.SIGKILL
    assert answered == {"products": 2, "sales": 100 + 10}  # batch 2 killed while waiting on its answers
    done_before = {a for a, done in queue(staging).items() if done}
    assert len(done_before) == 100  # batch 1 whole; nothing of the killed batch 2
    # Whatever the killed batch had merged is all or nothing: staging holds data exactly for done ASINs.
    with_data = {r[0] for r in staging.rows('SELECT DISTINCT asin FROM "{p}jungle_scout_product_data"')}
    assert with_data == done_before
    killed_log = log_file.read_text()
    assert "master sync batch 1/2" in killed_log
    for secret in migrated.secrets():
        assert secret not in killed_log

    # The killed run still says running in staging; the status endpoint knows it died.
    app = create_app(migrated)
    with app.test_client() as client:
        body = client.get("/admin/master-sync/status", headers=admin()).get_json()["status"]
    assert body["stopped_early"] is True and body["is_running"] is False
    assert "resume" in body["stop_reason"] and body["processed_asins"] >= 100

    sandbox.reset()
    resumed = run_master(migrated, "us", mode="resume")
    assert resumed.stopped_early is False and resumed.sync_mode == "resume"
    assert resumed.total_asins == 200 - len(done_before) == resumed.total_asins_processed
    refetched = set(asked(sandbox, "products")) | set(asked(sandbox, "sales"))
    assert refetched == set(todo) - done_before
    assert all(queue(staging).values())
    assert staging.scalar('SELECT count(DISTINCT asin) FROM "{p}jungle_scout_sales_estimate_data"') == 200
