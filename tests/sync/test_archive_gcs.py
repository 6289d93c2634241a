"""The landing archive on gs:// (LANDING_ARCHIVE_URL): fake-gcs-server on loopback, the real GCS
JSON API over HTTP, reached through gcsfs and dlt's filesystem destination as in production."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pytest

from sandbox.fake_gcs import BUCKET, FakeGcs
from sync import config as config_mod
from sync.hourly import run_hourly
from sync.report import YELLOW
from tests.helpers import run_cli, seed


@pytest.fixture(scope="module")
def gcs(tmp_path_factory) -> Iterator[FakeGcs]:
    server = FakeGcs(tmp_path_factory.mktemp("gcs")).start()
    server.create_bucket()
    yield server
    server.stop()


@pytest.fixture
def archive_env(env, migrated, gcs, tmp_path, monkeypatch) -> dict[str, str]:
    """The test's environment with a gs:// archive of its own (a folder of the bucket)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.url)
    return {**env, "LANDING_ARCHIVE_URL": f"gs://{BUCKET}/{tmp_path.name}", "STORAGE_EMULATOR_HOST": gcs.url}


def execution(env: dict[str, str], tmp_path, n: int) -> config_mod.Config:
    """A Cloud Run Job execution's configuration: a LANDING_DIR no run used before (a fresh disk)."""
    return config_mod.load({**env, "LANDING_DIR": str(tmp_path / f"execution{n}")}, needs=["db", "api", "http"])


def archived(gcs: FakeGcs, folder: str) -> dict[str, set[str]]:
    """Archive table -> the load ids of its Parquet files, read from the bucket's listing."""
    found: dict[str, set[str]] = {}
    for name in gcs.objects():
        parts = name.split("/")
        if parts[0] == folder and name.endswith(".parquet"):
            found.setdefault(parts[2], set()).add(parts[3].rsplit(".", 2)[0])
    return found


def test_two_job_executions_the_first_with_the_archive_down(archive_env, staging, production, gcs, webhook, tmp_path):
    """Two Cloud Run Job executions, each with a fresh LANDING_DIR. The bucket is down for the
    first: its sync completes (green on data, exit 0), its report is yellow, its load waits in
    staging; the second uploads it and its own, and both loads read back with DuckDB."""
    seed(staging, ["B0GCS00001", "B0GCS00002"])
    gcs.stop()
    try:
        down = run_cli(
            ["hourly", "--json"],
            {**archive_env, "LANDING_DIR": str(tmp_path / "execution1"), "DISCORD_WEBHOOK_URL": webhook.url},
        )
    finally:
        gcs.start()
    assert down.returncode == 0, down.stderr
    first = json.loads(down.stdout)
    assert first["outcome"] == "success" and first["failed_asins"] == 0 and first["stopped_early"] is False
    assert first["successful_product_sync"] == 2 and first["production_pending"] == 0
    assert first["warnings"] == ["archive behind: 1 load"]
    assert first["archive"]["url"] == archive_env["LANDING_ARCHIVE_URL"]
    assert first["archive"]["pending_loads"] == 1 and first["archive"]["files"] == 0
    assert "did not take load" in first["archive"]["error"]
    assert "the load stays pending in staging for the next run" in down.stderr  # the warning log line
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 2  # data went on
    assert archived(gcs, tmp_path.name) == {}
    (report,) = webhook.payloads
    embed = report["embeds"][0]
    assert embed["color"] == YELLOW and "Warning: archive behind: 1 load" in embed["description"]
    assert {f["name"]: f["value"] for f in embed["fields"]}["Archive"].startswith("behind: 1 load pending")

    seed(staging, ["B0GCS00003"])
    second = run_hourly(execution(archive_env, tmp_path, 2), "us")
    assert second.outcome == "success" and second.warnings == []
    assert second.archive == {"url": archive_env["LANDING_ARCHIVE_URL"], "files": 10, "loads": 2, "pending_loads": 0}
    assert staging.scalar('SELECT count(*) FROM "{p}jssync_archive_pending"') == 0
    loads = {first["landing"]["load_id"], second.landing["load_id"]}
    listing = archived(gcs, tmp_path.name)
    assert set(listing) == {"products", "sales_estimates", "asin_outcomes", "sync_batches", "landing_loads"}
    assert all(ids == loads for ids in listing.values())

    # An analyst's copy, through the CLI: every row staging merged is there, by load.
    target = tmp_path / "analyst.duckdb"
    result = run_cli(["landing", "--from-archive", str(target)], archive_env)
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(target), read_only=True) as con:
        by_load = dict(con.execute("SELECT _dlt_load_id, count(*) FROM landing.sales_estimates GROUP BY 1").fetchall())
        products = con.execute("SELECT count(*) FROM landing.products").fetchall()[0][0]
        runs = con.execute("SELECT run_id, load_id FROM landing.runs ORDER BY load_id").fetchall()
    assert set(by_load) == loads
    assert sum(by_load.values()) == staging.scalar('SELECT count(*) FROM "{p}jungle_scout_sales_estimate_data"')
    assert products == staging.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 3
    assert runs == [(first["run_id"], first["landing"]["load_id"]), (second.run_id, second.landing["load_id"])]
