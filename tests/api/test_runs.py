"""GET /admin/runs: the run history over the real app and databases."""

from __future__ import annotations

import json

import pytest

from sync.hourly import run_hourly
from sync.status import SyncStatus
from tests.api.support import admin, api_key
from tests.helpers import insert_dead_run, seed

HOURLY_FIELDS = list(SyncStatus().as_dict())[:15]


def test_runs_newest_first_with_their_status_objects(client, migrated, staging, sandbox):
    seed(staging, ["B0APIRUN01"])
    first = run_hourly(migrated, "us")
    second = run_hourly(migrated, "us")

    response = client.get("/admin/runs", headers=admin())
    assert response.status_code == 200
    runs = response.get_json()["runs"]
    assert [r["run_id"] for r in runs] == [second.run_id, first.run_id]
    assert list(runs[0])[:15] == HOURLY_FIELDS  # the Go service's field order
    assert runs[1]["total_asins_processed"] == 1 and runs[1]["outcome"] == "success"
    assert runs[1] == json.loads(json.dumps(first.as_dict())) | {"duration_seconds": runs[1]["duration_seconds"]}

    one = client.get("/admin/runs?last=1", headers=admin()).get_json()["runs"]
    assert [r["run_id"] for r in one] == [second.run_id]


def test_a_run_left_running_by_a_dead_process_shows_stopped(client, migrated, staging):
    """Every reader of the run history (here /admin/runs and the status endpoint) says so alike."""
    dead = "00000000-0000-4000-8000-00000000dead"
    insert_dead_run(staging, dead)
    [run] = client.get("/admin/runs", headers=admin()).get_json()["runs"]
    assert run["run_id"] == dead
    assert run["is_running"] is False and run["stopped_early"] is True and run["outcome"] == "stopped"
    status = client.get("/admin/hourly-sync/status", headers=api_key(migrated)).get_json()["status"]
    assert status["run_id"] == dead and status["outcome"] == "stopped" and status["stop_reason"] == run["stop_reason"]
    assert "ended before it finished" in run["stop_reason"]


def test_no_runs_yet(client, migrated):
    assert client.get("/admin/runs", headers=admin()).get_json() == {"runs": []}


@pytest.mark.parametrize("query", ["last=0", "last=101", "last=abc", "last=1&last=2", "last=-1", "limit=5"])
def test_bad_parameters_are_400(client, migrated, query):
    response = client.get(f"/admin/runs?{query}", headers=admin())
    assert response.status_code == 400 and set(response.get_json()) == {"error"}


def test_admin_only(client, migrated):
    assert client.get("/admin/runs").status_code == 401
    assert client.get("/admin/runs", headers=admin(role="viewer")).status_code == 403
