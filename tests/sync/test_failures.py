"""A database down: staging commits and production catches up later; staging down stops the run."""

from __future__ import annotations

import dataclasses
import json

from loaders.connections import DbSettings
from sync.hourly import run_hourly
from tests.helpers import free_port, run_cli, seed

ASINS = ["B0FAIL0001", "B0FAIL0002"]


def test_production_unreachable_keeps_staging_and_catches_up(migrated, staging, production, sandbox):
    seed(staging, ASINS)
    down = dataclasses.replace(migrated, production=dataclasses.replace(migrated.production, port=free_port()))

    status = run_hourly(down, "us").as_dict()
    assert status["stopped_early"] is False
    assert status["successful_product_sync"] == 2
    assert status["production_pending"] == 1
    assert status["error_summary"]["db_errors"] == 1
    assert "after 3 attempts" in status["error_summary"]["sample_errors"][0]
    assert staging.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 2
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 0

    # production is back: the next run applies what it missed before anything else
    again = run_hourly(migrated, "us").as_dict()
    assert again["production_catch_up"] == {"ran": True, "applied": 1}
    assert again["production_pending"] == 0
    for table in ("jungle_scout_product_data", "jungle_scout_sales_estimate_data"):
        query = f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \"{{p}}{table}\" t"
        assert staging.scalar(query) == production.scalar(query)


def test_staging_unreachable_stops_early_and_writes_nothing(migrated, env, staging, production, sandbox):
    seed(staging, ASINS)
    broken = {**env, "DB_STAGING_PORT": str(free_port())}
    result = run_cli(["hourly", "--json"], broken)
    assert result.returncode == 1, result.stderr
    status = json.loads(result.stdout)
    assert status["stopped_early"] is True
    assert "Staging database unreachable" in status["stop_reason"]
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 0
    assert sandbox.stats()["requests"] == 0


def test_settings_repr_hides_password():
    settings = DbSettings("staging", "h", 1, "u", "db", "p_", password="s3cret-pass")
    assert "s3cret-pass" not in repr(settings)


def test_catch_up_command(migrated, env, staging, production, sandbox):
    seed(staging, ASINS)
    down_env = {**env, "DB_PROD_PORT": str(free_port())}
    assert run_cli(["hourly"], down_env).returncode == 0  # staging committed; production owed one merge
    still_down = run_cli(["catch-up", "--json"], down_env)
    assert still_down.returncode == 1 and json.loads(still_down.stdout)["production_pending"] == 1
    result = run_cli(["catch-up", "--json"], {k: v for k, v in env.items() if k != "JUNGLE_SCOUT_API_KEY"})
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["production_catch_up"] == {"ran": True, "applied": 1} and status["production_pending"] == 0
    assert production.scalar('SELECT count(*) FROM "{p}jungle_scout_product_data"') == 2
