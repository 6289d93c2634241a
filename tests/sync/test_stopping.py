"""SIGTERM and SIGINT end a run inside 10 s, also as a container's PID 1: it stops sending
requests, abandons those in flight, ledgers every request it sent, merges what it has, closes its
run row as stopped early naming the signal, reports, and exits 1; the next run carries on exactly.
`jssync serve` likewise: a background master sync stopped by SIGTERM, then resumed.

Real processes, caught mid-batch by the sandbox's hold_after fault: the product call and two
sales answered, the next two sales requests held (never answered while the process lives)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from sync.hourly import run_hourly
from sync.master import run_master
from sync.report import RED
from tests.api.support import JWT_SECRET, admin
from tests.helpers import free_port, jssync_process, seed, sync_status, wait_for
from tests.sync.test_faults import assert_complete

ROOT = Path(__file__).resolve().parents[2]
ASINS = [f"B0STOP{i:04d}" for i in range(6)]
SERVED = [f"B0SERV{i:04d}" for i in range(4)]
UNSHARE = ("unshare", "--pid", "--fork")  # util-linux: the command runs as PID 1 of a new namespace


def ledger(staging) -> int:
    """Requests in staging's usage ledger (every run of this test's prefix)."""
    return staging.scalar('SELECT coalesce(sum(requests), 0) FROM "{p}jssync_api_usage"')


def run_row(staging, run_id: str) -> tuple:
    return staging.rows(
        'SELECT outcome, finished_at IS NOT NULL, status FROM "{p}jssync_runs" WHERE run_id = %s', (run_id,)
    )[0]


def pid1_available() -> bool:
    try:
        return subprocess.run([*UNSHARE, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def namespace_pid1(parent: int) -> int:
    """The pid (as seen from here) of the process `unshare --fork` started, after checking that
    it is PID 1 of its own namespace."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    child = int(wait_for(lambda: children.read_text().split(), what="unshare's child")[0])
    nspid = next(line for line in Path(f"/proc/{child}/status").read_text().splitlines() if line.startswith("NSpid"))
    assert nspid.split()[-1] == "1", nspid
    return child


@pytest.mark.parametrize(
    ("signum", "as_pid1"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["SIGTERM", "SIGINT", "SIGTERM-as-PID-1"],
)
def test_a_signal_mid_batch_ends_the_run_cleanly(migrated, env, staging, production, sandbox, webhook, signum, as_pid1):
    if as_pid1 and not pid1_available():
        pytest.skip("unshare --pid --fork is not permitted here (needs root or user namespaces)")
    seed(staging, ASINS)
    sandbox.set_faults(hold_after=3)  # products, then 2 sales answered; the next 2 are held
    run_env = {**env, "JUNGLE_SCOUT_MAX_CONCURRENCY": "2", "DISCORD_WEBHOOK_URL": webhook.url}
    with jssync_process(["hourly", "--json"], run_env, wrapper=UNSHARE if as_pid1 else ()) as child:
        try:
            wait_for(lambda: sandbox.stats()["held"] == 2, what="two sales requests held")
            os.kill(namespace_pid1(child.pid) if as_pid1 else child.pid, signum)
            out, err = child.communicate(timeout=10)  # it exits within 10 s, whatever is held
        finally:
            sandbox.set_faults(hold=False)
    assert child.returncode == 1, err
    status = json.loads(out)
    name = signal.Signals(signum).name
    assert status["stopped_early"] is True and status["is_running"] is False
    assert status["stop_reason"].startswith(f"Stopped by {name}")
    # What came is kept and counted: the product data of all 6, the sales of 2.
    assert (status["total_asins_processed"], status["successful_product_sync"]) == (6, 6)
    assert (status["successful_sales_sync"], status["failed_asins"]) == (2, 0)
    assert status["production_pending"] == 1  # merged into staging; production waits for the next run
    outcome, finished, saved = run_row(staging, status["run_id"])
    assert outcome == "stopped" and finished and saved["stop_reason"] == status["stop_reason"]
    [report] = webhook.payloads
    assert report["embeds"][0]["color"] == RED and f"Stopped by {name}" in report["embeds"][0]["description"]

    # Every request sent is in the ledger, the two abandoned ones too: as many as the API got.
    wait_for(lambda: sandbox.stats()["in_flight"] == 0, what="the held requests to be answered")
    got = sandbox.stats()
    assert got["by_endpoint"] == {"products": 1, "sales": 4}
    assert status["api_usage"]["requests"] == ledger(staging) == got["requests"] == 5
    # Nothing lost, nothing backed off: 4 ASINs have their product data and wait for their sales.
    states = [sync_status(staging, a, "failure_count") for a in ASINS]
    assert all(s["has_product_data"] and s["failure_count"] == 0 for s in states)
    assert sum(s["has_sales_data"] for s in states) == 2

    # The next run does exactly what is left: four sales calls, no product call.
    after = run_hourly(migrated, "us")
    assert not after.stopped_early and after.failed_asins == 0
    assert after.sales_gap_asins_synced == 4 and after.production_catch_up["applied"] == 1
    assert sandbox.stats()["by_endpoint"] == {"products": 1, "sales": 8}
    assert_complete(staging, production, ASINS)


def test_sigterm_stops_a_background_master_sync_that_resume_continues(
    migrated, env, staging, production, sandbox, webhook, tmp_path
):
    seed(staging, SERVED)
    port, log_file = free_port(), tmp_path / "serve.log"
    serve_env = {
        **env,
        "PORT": str(port),
        "JUNGLE_SCOUT_MAX_CONCURRENCY": "2",
        "DISCORD_WEBHOOK_URL": webhook.url,
        "JWT_SECRET": JWT_SECRET,
    }
    base = f"http://127.0.0.1:{port}"
    with log_file.open("w") as sink:
        child = jssync_process(
            ["serve", "--host", "127.0.0.1", "--workers", "1", "--threads", "2"],
            serve_env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )

    def up() -> bool:
        assert child.poll() is None, log_file.read_text()
        try:
            return requests.get(base + "/health", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_for(up, interval=0.1)
        sandbox.set_faults(hold_after=3)  # the product call and 2 sales answered, the next 2 held
        started = requests.post(base + "/admin/master-sync?date_range=1year", headers=admin(), timeout=30)
        assert started.status_code == 202, started.text
        run_id = started.json()["status"]["run_id"]
        wait_for(lambda: sandbox.stats()["held"] == 2, what="two sales requests held")
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)  # Cloud Run's SIGKILL comes 10 s after SIGTERM
        except subprocess.TimeoutExpired:
            raise AssertionError(f"jssync serve still runs 10 s after SIGTERM:\n{log_file.read_text()}") from None
    finally:
        sandbox.set_faults(hold=False)
        if child.poll() is None:
            child.kill()
            child.wait()
    log = log_file.read_text()
    outcome, status = staging.rows('SELECT outcome, status FROM "{p}jssync_runs" WHERE run_id = %s', (run_id,))[0]
    assert outcome == "stopped", log
    assert status["stop_reason"].startswith("Stopped by SIGTERM") and status["is_running"] is False
    assert (status["processed_asins"], status["successful_sales_sync"], status["failed_asins"]) == (4, 2, 0)
    [report] = webhook.payloads
    assert report["embeds"][0]["color"] == RED and "Stopped by SIGTERM" in report["embeds"][0]["description"]
    queue = staging.rows('SELECT done_at IS NOT NULL, count(*) FROM "{p}jssync_master_queue" GROUP BY 1')
    assert dict(queue) == {True: 2, False: 2}
    wait_for(lambda: sandbox.stats()["in_flight"] == 0, what="the held requests to be answered")
    ledger = staging.scalar('SELECT sum(requests) FROM "{p}jssync_api_usage"')
    assert ledger == sandbox.stats()["requests"] == 5  # the 2 abandoned requests are billed too

    resumed = run_master(migrated, "us", mode="resume")  # `jssync master --mode resume`
    assert resumed.sync_mode == "resume" and not resumed.stopped_early
    assert (resumed.total_asins, resumed.total_asins_processed, resumed.failed_asins) == (2, 2, 0)
    assert_complete(staging, production, SERVED)
