"""The CLI as schedulers see it: exit codes, --json, --debug, refusals before touching anything.

Commands run in process (run_cli: the console entry point with its own argv and environment); the
console script itself runs as a child where the process boundary is the point (exit codes)."""

from __future__ import annotations

import json

from api.openapi import SCHEMAS
from tests.helpers import jssync, run_cli, seed


def test_hourly_json_and_exit_zero(migrated, env, staging, sandbox):
    """The installed console script, as a child: the scheduler reads its exit code and stdout."""
    seed(staging, ["B0CLI00001", "B0ZZCLI001"])
    result = jssync(["hourly", "--json"], env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    # The keys the OpenAPI schema promises (the Go service's fields); the CLI prints the same status.
    required = SCHEMAS["HourlyStatus"]["required"]
    assert "total_asins_processed" in required and "error_summary" in required
    assert set(status) >= set(required)
    assert set(status["error_summary"]) == set(SCHEMAS["ErrorSummary"]["required"])
    assert status["failed_asins"] == 1 and status["started_at"].endswith("Z")


def test_debug_prints_the_step_log(migrated, env, staging, sandbox):
    seed(staging, ["B0CLI00002", "B0ZZCLI002"])
    result = run_cli(["hourly", "--debug"], env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    text = "\n".join(
        f"[{line['flow']}] " + (f"[{line['step']}] " if line["step"] else "") + line["message"] for line in lines
    )
    for expected in (
        "[HOURLY_SYNC] ========== DEBUG MODE ENABLED ==========",
        "[HOURLY_SYNC] ---------- STEP 1: CLEANUP ----------",
        "[HOURLY_SYNC] [Cleanup] Staging: 0 rows deleted",
        "[HOURLY_SYNC] [AddNew] Staging: 2 new ASINs inserted",
        "[HOURLY_SYNC] [Select] Found 2 NEW ASINs",
        "[HOURLY_SYNC] [SyncASINs] Product API returned 1 products (requested 2)",
        "[HOURLY_SYNC] [SyncASINs] Not found list: [B0ZZCLI002]",
        "[HOURLY_SYNC] [NotFound] Marked ASIN B0ZZCLI002",
        "[HOURLY_SYNC] [Worker 0] Fetching sales for ASIN B0CLI00002",
        "[HOURLY_SYNC] ========== HOURLY SYNC COMPLETED ==========",
    ):
        assert expected in text
    assert all(line["run_id"] for line in lines)


def test_without_debug_only_a_summary(migrated, env, staging, sandbox):
    seed(staging, ["B0CLI00003"])
    result = run_cli(["hourly"], env)
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert all(line["severity"] == "INFO" for line in lines)
    messages = [line["message"] for line in lines]
    assert messages[0].startswith("hourly sync limits: time allowance 3000 s")  # how it was run
    summary = [m for m in messages[1:] if m.startswith("hourly sync")]
    assert len(summary) == 1 and summary[0].startswith("hourly sync completed: 1 ASINs processed")
    assert len(lines) <= 3  # the limits, the summary, and a line saying no Discord webhook is set


def test_configuration_error_lists_everything_and_touches_nothing(migrated, env, staging, sandbox):
    seed(staging, ["B0CLI00004"])
    # DB_PROD_HOST is set, so production is wanted and DB_PROD_USER is required.
    broken = {k: v for k, v in env.items() if k not in ("DB_PROD_USER", "JUNGLE_SCOUT_API_KEY")}
    broken["JUNGLE_SCOUT_BURST_PER_SECOND"] = "-1"
    result = run_cli(["hourly"], broken)
    assert result.returncode == 2
    for name in ("DB_PROD_USER", "JUNGLE_SCOUT_API_KEY", "JUNGLE_SCOUT_BURST_PER_SECOND"):
        assert name in result.stderr
    assert staging.scalar('SELECT count(*) FROM "{p}jungle_scout_sync_status"') == 0
    assert sandbox.stats()["requests"] == 0


def test_prefix_carrying_sql_is_refused(migrated, env, staging, sandbox):
    evil = "x; DROP TABLE canary; --"
    staging.execute("CREATE TABLE IF NOT EXISTS canary (id int)")
    for command in (["hourly"], ["migrate"]):
        result = run_cli(command, {**env, "DB_STAGING_TABLE_PREFIX": evil})
        assert result.returncode == 2
        assert "DB_STAGING_TABLE_PREFIX" in result.stderr and "^[a-z_][a-z0-9_]{0,30}$" in result.stderr
    assert staging.scalar("SELECT to_regclass('canary') IS NOT NULL")
    assert sandbox.stats()["requests"] == 0


def test_migrate_is_idempotent(env, staging):
    first = run_cli(["migrate"], env)
    assert first.returncode == 0, first.stderr
    assert "0 applied" in first.stdout  # the fixture migrated already
    assert first.stdout.count("already applied") == 2


def test_render_and_lint(env):
    rendered = run_cli(["render", "product_data", "--target", "production"], env)
    assert rendered.returncode == 0
    assert f'INSERT INTO "{env["DB_PROD_TABLE_PREFIX"]}jungle_scout_product_data"' in rendered.stdout
    assert "created_at = EXCLUDED.created_at" in rendered.stdout  # production mirrors staging
    unknown = run_cli(["render", "nope"], env)
    assert unknown.returncode == 1 and "known:" in unknown.stderr
    lint = run_cli(["lint"], env)
    assert lint.returncode == 0 and " 0 failed" in lint.stdout


def test_console_script_refuses_a_bad_configuration_with_exit_two(env):
    """The child process's own exit code for a configuration error (1 and 0: the tests above)."""
    broken = {k: v for k, v in env.items() if k != "DB_PROD_USER"}
    refused = jssync(["hourly"], broken)
    assert refused.returncode == 2 and "DB_PROD_USER" in refused.stderr
