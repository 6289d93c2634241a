"""The analysts' side of the landing file: its views, example queries, `jssync landing`."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cli import main as cli
from cli import readouts
from extract.landing import FILE_NAME, LANDING_SQL
from sync import config as config_mod
from sync import logs
from sync.hourly import run_hourly
from tests.conftest import new_prefix
from tests.helpers import Db, environment, kept_logging, migrate_targets, seed

ASINS = ["B0LAND0001", "B0LAND0002", "B0ZZLAND01"]


def query(file: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(file), read_only=True) as con:
        return con.execute(sql).fetchall()


def examples() -> list[str]:
    text = (LANDING_SQL / "examples.sql").read_text()
    return [part.strip() for part in text.split(";") if part.strip()]


@pytest.fixture(scope="module")
def landed(pg_server, databases, sandbox_api, tmp_path_factory) -> Iterator[tuple[Path, list]]:
    """A landing file after two runs that fetched the same ASINs (a same-day rerun). Built once for
    the module (two hourly runs): every test here only reads it, or copies it."""
    env = environment(
        pg_server, databases, sandbox_api.base_url, new_prefix(), tmp_path_factory.mktemp("landed") / "landing"
    )
    migrated = migrate_targets(config_mod.load(env, needs=["db", "api", "http"]))
    staging = Db(migrated, "staging")
    sandbox_api.reset()
    with kept_logging():
        logs.setup(stream=io.StringIO())
        seed(staging, ASINS)
        first = run_hourly(migrated, "us")
        staging.execute(
            'UPDATE "{p}jungle_scout_sync_status" SET '
            "product_data_synced_at = now() - interval '40 days', "
            "sales_estimate_data_synced_at = now() - interval '5 days'"
        )
        sandbox_api.set_faults(revision=1)
        second = run_hourly(migrated, "us")
    sandbox_api.reset()
    yield migrated.landing_dir / FILE_NAME, [first, second]


def test_views_exist_after_each_load(landed):
    file, _ = landed
    views = {r[0] for r in query(file, "SELECT view_name FROM duckdb_views() WHERE schema_name = 'landing'")}
    assert {"latest_products", "daily_sales", "runs"} <= views


def test_latest_products_has_one_row_per_asin_the_newest(landed):
    file, _ = landed
    assert query(file, "SELECT count(*) FROM landing.products")[0][0] == 4  # two runs, two found ASINs
    rows = query(file, "SELECT asin, count(*) OVER (PARTITION BY asin), _dlt_load_id FROM landing.latest_products")
    assert sorted(r[0] for r in rows) == ASINS[:2] and all(r[1] == 1 for r in rows)
    newest = query(file, "SELECT max(_dlt_load_id) FROM landing.products")[0][0]
    assert {r[2] for r in rows} == {newest}


def test_daily_sales_has_one_row_per_asin_and_day(landed):
    file, _ = landed
    total = query(file, "SELECT count(*) FROM landing.sales_estimates")[0][0]
    distinct = query(file, "SELECT count(DISTINCT (asin, marketplace, date)) FROM landing.sales_estimates")[0][0]
    assert total > distinct  # the rerun landed the last days again
    assert query(file, "SELECT count(*) FROM landing.daily_sales")[0][0] == distinct
    # The newest estimate wins: the rerun's days carry the second load id.
    loads = query(file, "SELECT DISTINCT load_id FROM landing.daily_sales ORDER BY 1")
    assert len(loads) == 2


def test_runs_view_names_each_run_with_its_load(landed):
    file, (first, second) = landed
    rows = query(file, "SELECT run_id, kind, asins, load_id, load_status FROM landing.runs ORDER BY load_id")
    assert [r[0] for r in rows] == [first.run_id, second.run_id]
    assert [r[1:3] for r in rows] == [("hourly", 3), ("hourly", 2)]
    assert [r[3] for r in rows] == [first.landing["load_id"], second.landing["load_id"]]
    assert all(r[4] == 0 for r in rows)  # dlt: 0 = loaded


def test_every_example_query_runs(landed):
    file, _ = landed
    for sql in examples():
        query(file, sql)
    assert len(examples()) >= 4


def test_landing_command_prints_the_file_views_and_examples(landed, monkeypatch, capsys, capture_logs):
    file, _ = landed
    capture_logs()
    monkeypatch.setenv("LANDING_DIR", str(file.parent))
    assert cli.main(["landing"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert f"Landing file: {file.resolve()}" in out
    for name in ("latest_products", "daily_sales", "runs", "products", "sales_estimates"):
        assert f" {name}" in out
    assert "duckdb -readonly" in out and "jssync landing --snapshot" in out
    assert examples()[0] in out


def test_snapshot_is_a_readable_copy_with_the_views(landed, tmp_path, monkeypatch, capsys, capture_logs):
    file, _ = landed
    capture_logs()
    monkeypatch.setenv("LANDING_DIR", str(file.parent))
    copy = tmp_path / "copy.duckdb"
    assert cli.main(["landing", "--snapshot", str(copy)]) == cli.EXIT_OK
    assert f"Snapshot written: {copy}" in capsys.readouterr().out
    assert query(copy, "SELECT count(*) FROM landing.latest_products") == query(
        file, "SELECT count(*) FROM landing.latest_products"
    )


def test_a_file_held_by_a_writer(landed, tmp_path, monkeypatch, capsys, capture_logs):
    file, _ = landed
    capture_logs()
    monkeypatch.setenv("LANDING_DIR", str(file.parent))
    # Another process holds the file read-write, as a sync landing a batch does.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read(); c.close()",
            str(file),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert cli.main(["landing"]) == cli.EXIT_OK
        assert "A sync is writing it right now" in capsys.readouterr().out
        with pytest.raises(duckdb.IOException):
            readouts.snapshot(file, tmp_path / "copy.duckdb", wait=0.3)
        assert not (tmp_path / "copy.duckdb").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


def test_landing_command_before_any_sync(tmp_path, monkeypatch, capsys, capture_logs):
    capture_logs()
    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "nothing"))
    assert cli.main(["landing"]) == cli.EXIT_OK
    assert "does not exist yet" in capsys.readouterr().out
