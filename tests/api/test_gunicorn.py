"""`jssync serve`: the app under real gunicorn, over real HTTP, two worker processes."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.api.support import admin
from tests.helpers import at_once, free_port, jssync_process, seed, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(migrated, env, tmp_path):
    """`jssync serve` on a free $PORT; yields (base URL, its log file); SIGTERM at the end."""
    port = free_port()
    log_file = tmp_path / "serve.log"
    with log_file.open("w") as sink:
        child = jssync_process(
            ["serve", "--host", "127.0.0.1", "--workers", "2", "--threads", "4"],
            {**env, "PORT": str(port)},
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    with requests.Session() as http:

        def up() -> bool:
            if child.poll() is not None:
                raise AssertionError(f"jssync serve exited: {log_file.read_text()}")
            try:
                return http.get(base + "/health", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        try:
            wait_for(up, timeout=30, interval=0.1)
            yield base, log_file
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait()


def test_served_by_gunicorn_end_to_end(server, migrated, staging, sandbox):
    base, log_file = server
    seed(staging, ["B0TEST0001", "B0TEST0002"])
    key = {"X-API-KEY": migrated.sync_api_key}
    with requests.Session() as http:
        assert http.get(base + "/test-db", timeout=10).json()["production"] == "ok"
        assert http.get(base + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")
        assert http.get(base + "/admin/hourly-sync/status", timeout=10).status_code == 401

        hourly = http.post(base + "/admin/hourly-sync?debug=false", headers=key, timeout=60)
        assert hourly.status_code == 200 and hourly.json()["status"]["total_asins_processed"] == 2
        assert (
            http.get(base + "/admin/hourly-sync/status", headers=key, timeout=10).json()["status"]["run_id"]
            == hourly.json()["status"]["run_id"]
        )

        # Two triggers at once, most likely landing in two worker processes: exactly one runs.
        sandbox.set_faults(latency=0.3)
        staging.execute('UPDATE "{p}jungle_scout_sync_status" SET has_product_data = false')
        answers = at_once(
            *[lambda: requests.post(base + "/admin/master-sync?date_range=1month", headers=admin(), timeout=30)] * 2
        )
        assert sorted(a.status_code for a in answers) == [202, 409]
        run_id = next(a.json()["status"]["run_id"] for a in answers if a.status_code == 202)
        assert next(a.json() for a in answers if a.status_code == 409)["status"]["run_id"] == run_id

        def finished() -> dict | None:
            status = http.get(base + "/admin/master-sync/status", headers=admin(), timeout=10).json()["status"]
            return status if not status["is_running"] else None

        status = wait_for(finished, timeout=30, interval=0.2)
        assert status["run_id"] == run_id and status["processed_asins"] == 2 and not status["stopped_early"]

        bad = http.post(base + "/admin/master-sync?sync_mode=again", headers=admin(), timeout=10)
        assert bad.status_code == 400 and "fresh, resume" in bad.json()["error"]

    wait_for(lambda: "master sync completed" in log_file.read_text(), timeout=10)  # logged after the save
    served_log = log_file.read_text()
    assert "Booting worker" in served_log
    for secret in migrated.secrets():
        assert secret not in served_log
