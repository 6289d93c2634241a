"""The API usage ledger counts what the sandbox itself counted, retries and 429s included."""

from __future__ import annotations

import datetime as dt

from cli import main as cli
from sync.hourly import run_hourly
from tests.helpers import seed

ASINS = ["B0USE00001", "B0USE00002", "B0USE00003"]


def ledger(db) -> dict[str, tuple]:
    rows = db.rows(
        'SELECT endpoint, marketplace, day, requests, retries, rate_limited, errors FROM "{p}jssync_api_usage"'
    )
    return {r[0]: r[1:] for r in rows}


def test_ledger_equals_the_sandbox_counts_with_retries(migrated, staging, production, sandbox, capture_logs):
    capture_logs()
    seed(staging, ASINS)
    # One 429 on the product query and one 503 on a sales query: each costs a retry.
    sandbox.set_faults(
        rate_limit_next={"count": 1, "endpoint": "products", "retry_after": 0},
        fail_next={"count": 1, "endpoint": "sales", "status": 503},
    )
    status = run_hourly(migrated, "us")
    stats = sandbox.stats()
    assert stats["by_endpoint"] == {"products": 2, "sales": 4} and stats["rate_limited"] == 1

    today = dt.datetime.now(dt.UTC).date()
    usage = ledger(staging)
    assert usage["products"] == ("us", today, 2, 1, 1, 0)
    assert usage["sales"] == ("us", today, 4, 1, 0, 1)
    assert sum(r[2] for r in usage.values()) == stats["requests"] == status.total_api_calls
    counts = {
        k: status.api_usage[k]
        for k in ("requests", "product_requests", "sales_requests", "retries", "rate_limited", "errors")
    }
    assert counts == {
        "requests": 6,
        "product_requests": 2,
        "sales_requests": 4,
        "retries": 2,
        "rate_limited": 1,
        "errors": 1,
    }
    # The 429 cut the limiter's rate to 70 % (AIMD); clean spells may raise it again.
    assert status.api_usage["configured_rate_per_minute"] == 100_000
    assert status.api_usage["lowest_rate_per_minute"] == 70_000
    assert 70_000 <= status.api_usage["effective_rate_per_minute"] <= 100_000
    saved = staging.scalar("SELECT status -> 'api_usage' FROM \"{p}jssync_runs\" WHERE run_id = %s", (status.run_id,))
    assert saved == status.api_usage

    # A second run adds to the same day's rows.
    sandbox.reset()
    seed(staging, ["B0USE00004"])
    run_hourly(migrated, "us")
    usage = ledger(staging)
    assert usage["products"][2] == 2 + sandbox.stats()["by_endpoint"]["products"]
    assert usage["sales"][2] == 4 + sandbox.stats()["by_endpoint"]["sales"]

    # The ledger is staging's bookkeeping: production has no such table.
    assert production.scalar("SELECT to_regclass(%s) IS NULL", (production.prefix + "jssync_api_usage",))


def test_a_run_without_requests_adds_nothing(migrated, staging, sandbox, capture_logs):
    capture_logs()
    status = run_hourly(migrated, "us")
    assert status.total_api_calls == 0 and ledger(staging) == {}


def test_usage_command_prints_the_totals(migrated, env, staging, sandbox, monkeypatch, capsys, capture_logs):
    capture_logs()
    seed(staging, ASINS)
    sandbox.set_faults(rate_limit_next={"count": 2, "endpoint": "sales", "retry_after": 0})
    run_hourly(migrated, "us")
    stats = sandbox.stats()
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["usage", "--days", "7"]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["day", "marketplace", "endpoint", "requests", "retries", "rate_limited", "errors"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    rows = {line.split()[2]: line.split() for line in lines if line.startswith(today)}
    assert rows["products"][3:] == [str(stats["by_endpoint"]["products"]), "0", "0", "0"]
    assert rows["sales"][3:] == [str(stats["by_endpoint"]["sales"]), "2", "2", "0"]
    assert lines[-1].split() == ["total", str(stats["requests"]), "2", "2", "0"]


def test_usage_command_with_nothing_recorded(migrated, env, monkeypatch, capsys, capture_logs):
    capture_logs()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["usage"]) == cli.EXIT_OK
    assert capsys.readouterr().out.splitlines()[-1] == "No requests recorded."
