"""GET /admin/usage, GET /admin/freshness and the run fields the dashboard reads, over the real
app and databases; the freshness settings of the configuration."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from api import create_app
from api.openapi import DOCUMENT
from loaders.catalogue import Catalogue
from sync import config as config_mod
from sync import freshness
from sync.hourly import run_hourly
from sync.status import SyncStatus, utcnow
from tests.api.support import admin
from tests.helpers import connect, seed

# (asin, product age in days or None, sales age in days or None, not-found attempt days ago)
CATALOGUE = [
    ("B0FRESH001", 0.5, 0.2, None),
    ("B0FRESH002", 1.5, 1.2, None),
    ("B0FRESH003", 3, 40, None),
    ("B0FRESH004", 10, None, None),
    ("B0FRESH005", 20, 8, None),
    ("B0FRESH006", 45, 50, None),
    ("B0FRESH007", 90, 100, None),
    ("B0NEVER001", None, None, None),
    ("B0WAITS001", None, None, 2),
    ("B0RETRY001", None, None, 20),  # not found 20 days ago: due again, so counted as never synced
]


def _ago(days: float | None) -> str | None:
    return None if days is None else f"{days} days"


def _catalogue(staging) -> None:
    for asin, product, sales, attempted in CATALOGUE:
        staging.execute(
            'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
            "product_data_synced_at, sales_estimate_data_synced_at, product_fetch_attempted_at) VALUES "
            "(%s, %s, %s, (now() AT TIME ZONE 'UTC') - %s::interval, (now() AT TIME ZONE 'UTC') - %s::interval, "
            "(now() AT TIME ZONE 'UTC') - %s::interval)",
            (asin, product is not None, sales is not None, _ago(product), _ago(sales), _ago(attempted)),
        )


def test_freshness_counts_ages_and_histograms(client, staging):
    _catalogue(staging)
    answer = client.get("/admin/freshness", headers=admin())
    assert answer.status_code == 200
    body = answer.get_json()
    assert {k: body[k] for k in ("visible_asins", "fresh", "overdue", "never_synced", "not_found_waiting")} == {
        "visible_asins": 10,
        "fresh": 5,
        "overdue": 2,
        "never_synced": 2,
        "not_found_waiting": 1,
    }
    assert body["oldest_product_age_days"] == pytest.approx(90, abs=0.01)
    # percentile_cont over 0.5, 1.5, 3, 10, 20, 45, 90: 45 + 0.7 * (90 - 45)
    assert body["p95_product_age_days"] == pytest.approx(76.5, abs=0.01)
    assert body["oldest_sales_age_days"] == pytest.approx(100, abs=0.01)
    assert body["threshold_days"] == 30 and body["sla_percent"] == 99.0
    # The one ASIN waiting on its not-found retry cannot be fresh: the SLA counts the other 9.
    assert body["sla_asins"] == 9 and body["fresh_percent"] == 55.56
    assert body["product_age_histogram"] == {
        "0-1": 1,
        "1-2": 1,
        "2-7": 1,
        "7-14": 1,
        "14-30": 1,
        "30-60": 1,
        "60+": 1,
        "never": 3,
    }
    assert body["sales_age_histogram"] == {
        "0-1": 1,
        "1-2": 1,
        "2-7": 0,
        "7-14": 1,
        "14-30": 0,
        "30-60": 2,
        "60+": 1,
        "never": 4,
    }
    assert list(body["product_age_histogram"]) == list(freshness.BUCKETS)


def test_freshness_figures_follow_threshold_retry_days_and_time(migrated, staging):
    _catalogue(staging)
    with connect(migrated, "staging") as conn, conn.cursor() as cur:
        prefix = migrated.staging.prefix
        catalogue = Catalogue.default(prefix)
        tight = freshness.overview(cur, prefix, 7, catalogue=catalogue, sla_percent=95, retry_days=30, histograms=False)
        later = freshness.overview(
            cur, prefix, 30, catalogue=catalogue, now=utcnow().replace(tzinfo=None) + dt.timedelta(days=15)
        )
    assert (tight["fresh"], tight["overdue"], tight["never_synced"], tight["not_found_waiting"]) == (3, 4, 1, 2)
    assert tight["sla_percent"] == 95 and "product_age_histogram" not in tight
    # Fifteen days on, 20 becomes 35 (overdue) and 10 becomes 25 (still fresh).
    assert (later["fresh"], later["overdue"]) == (4, 3)
    assert later["oldest_product_age_days"] == pytest.approx(105, abs=0.01)


def test_one_definition_for_the_status_the_plan_and_the_endpoint(migrated, staging):
    _catalogue(staging)
    # Flagged as having product data but without a time: overdue, and no age ("never").
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data) VALUES (%s, true)', ("B0NOTIME01",)
    )
    # Visible but not tracked yet (one listed twice): never synced until add-new tracks them.
    seed(staging, ["B0UNTRAK01", "B0UNTRAK02", "B0UNTRAK02", "B0FRESH001"])
    with connect(migrated, "staging") as conn, conn.cursor() as cur:
        catalogue = Catalogue.default(migrated.staging.prefix)
        status = freshness.figures(cur, migrated.staging.prefix, 30, catalogue=catalogue, extras=True)
        endpoint = freshness.overview(cur, migrated.staging.prefix, 30, catalogue=catalogue)
    assert {k: status[k] for k in freshness.KEYS} == {k: endpoint[k] for k in freshness.KEYS}
    assert (
        status["visible_asins"],
        status["fresh"],
        status["overdue"],
        status["never_synced"],
        status["not_found_waiting"],
        status["untracked"],
    ) == (13, 5, 3, 4, 1, 2)
    assert status["fresh"] + status["overdue"] + status["never_synced"] + status["not_found_waiting"] == 13
    for histogram in (endpoint["product_age_histogram"], endpoint["sales_age_histogram"]):
        assert sum(histogram.values()) == 13
    assert endpoint["product_age_histogram"]["never"] == 3 + 1 + 2
    assert status["max_age_days"] >= status["oldest_product_age_days"] == pytest.approx(90, abs=0.01)


def test_freshness_of_an_empty_catalogue(client):
    body = client.get("/admin/freshness", headers=admin()).get_json()
    assert body["visible_asins"] == 0 and body["fresh_percent"] is None
    assert body["oldest_product_age_days"] is None and body["p95_product_age_days"] is None
    assert set(body["product_age_histogram"].values()) == {0}


def test_freshness_after_a_real_sync(client, migrated, staging, sandbox):
    seed(staging, ["B0REALSY01", "B0REALSY02"])
    run_hourly(migrated, "us")
    body = client.get("/admin/freshness", headers=admin()).get_json()
    assert (body["visible_asins"], body["fresh"], body["overdue"]) == (2, 2, 0)
    assert body["product_age_histogram"]["0-1"] == 2 and body["sales_age_histogram"]["0-1"] == 2


def _ledger(staging, day: dt.date, endpoint: str, counts: tuple[int, int, int, int]) -> None:
    staging.execute(
        'INSERT INTO "{p}jssync_api_usage" (day, endpoint, marketplace, requests, retries, '
        "rate_limited, errors) VALUES (%s, %s, 'us', %s, %s, %s, %s)",
        (day, endpoint, *counts),
    )


def test_usage_per_day_month_total_and_budget(client, app, migrated, staging, sandbox):
    seed(staging, ["B0USAGE001", "B0USAGE002"])
    run_hourly(migrated, "us")
    today = utcnow().date()
    long_ago = today - dt.timedelta(days=40)  # always in an earlier month
    _ledger(staging, long_ago, "products", (7, 2, 1, 1))
    ledger = staging.rows(
        "SELECT day, endpoint, requests, retries, rate_limited, errors FROM "
        '"{p}jssync_api_usage" WHERE day = %s ORDER BY endpoint',
        (today,),
    )
    assert ledger, "the sync recorded its requests"

    body = client.get("/admin/usage?days=30", headers=admin()).get_json()
    assert body["days"] == 30 and body["budget"] is None
    assert [
        (r["day"], r["endpoint"], r["requests"], r["retries"], r["rate_limited"], r["errors"]) for r in body["usage"]
    ] == [(d.isoformat(), *rest) for d, *rest in ledger]
    requests = sum(r[2] for r in ledger)
    assert body["month"] == {
        "month": today.strftime("%Y-%m"),
        "requests": requests,
        "retries": sum(r[3] for r in ledger),
        "rate_limited": sum(r[4] for r in ledger),
        "errors": sum(r[5] for r in ledger),
    }

    older = client.get("/admin/usage?days=60", headers=admin()).get_json()
    assert older["usage"][-1] == {
        "day": long_ago.isoformat(),
        "endpoint": "products",
        "marketplace": "us",
        "requests": 7,
        "retries": 2,
        "rate_limited": 1,
        "errors": 1,
    }
    assert older["month"] == body["month"]  # last month's row is not this month's spending

    budgeted = create_app(dataclasses.replace(migrated, monthly_request_budget=requests + 5)).test_client()
    assert budgeted.get("/admin/usage", headers=admin()).get_json()["budget"] == {
        "monthly": requests + 5,
        "spent": requests,
        "left": 5,
    }
    over = create_app(dataclasses.replace(migrated, monthly_request_budget=1)).test_client()
    assert over.get("/admin/usage", headers=admin()).get_json()["budget"]["left"] == 0


@pytest.mark.parametrize(
    ("query", "says"),
    [
        *(
            (q, "days must be given once, a whole number from 1 to 366")
            for q in ("days=0", "days=367", "days=abc", "days=-1", "days=1&days=2", "days=1.5")
        ),
        ("day=3", "unknown query parameter(s) 'day': it takes days"),
    ],
)
def test_usage_refuses_bad_parameters(client, query, says):
    answer = client.get(f"/admin/usage?{query}", headers=admin())
    assert answer.status_code == 400
    assert answer.get_json()["error"] == says


@pytest.mark.parametrize("path", ["/admin/usage", "/admin/freshness"])
def test_admin_data_needs_an_admin_token(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=admin(role="viewer")).status_code == 403
    assert client.get(path + "?x=1", headers=admin()).status_code == 400


def test_runs_carry_outcome_and_duration_from_their_rows(client, staging):
    started = dt.datetime(2026, 1, 2, 3, 4, 5)
    finished = started + dt.timedelta(seconds=90)
    done = SyncStatus(
        kind="hourly", run_id="00000000-0000-4000-8000-000000000090", started_at=started, completed_at=finished
    )
    staging.execute(
        'INSERT INTO "{p}jssync_runs" (run_id, kind, marketplace, started_at, finished_at, outcome, '
        "status) VALUES (%s, 'hourly', 'us', %s, %s, 'failures', %s)",
        (done.run_id, started, finished, json.dumps({**done.as_dict(), "outcome": "success", "duration_seconds": 1})),
    )
    [run] = client.get("/admin/runs?last=1", headers=admin()).get_json()["runs"]
    assert run["outcome"] == "failures" and run["duration_seconds"] == 90.0


def test_the_new_endpoints_are_documented():
    for path in ("/admin/usage", "/admin/freshness", "/dashboard"):
        assert "get" in DOCUMENT["paths"][path]
    assert DOCUMENT["paths"]["/admin/usage"]["get"]["security"] == [{"bearerAuth": []}]


def test_freshness_settings_default_and_every_problem_listed(env):
    cfg = config_mod.load(env, needs=[])
    assert (cfg.stale_data_threshold_days, cfg.freshness_sla_percent, cfg.monthly_request_budget) == (30, 99.0, None)
    cfg = config_mod.load(
        {
            **env,
            "STALE_DATA_THRESHOLD_DAYS": "14",
            "FRESHNESS_SLA_PERCENT": "99.5",
            "JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET": "500000",
        },
        needs=[],
    )
    assert (cfg.stale_data_threshold_days, cfg.freshness_sla_percent, cfg.monthly_request_budget) == (14, 99.5, 500000)
    with pytest.raises(config_mod.ConfigError) as error:
        config_mod.load(
            {
                **env,
                "STALE_DATA_THRESHOLD_DAYS": "0",
                "FRESHNESS_SLA_PERCENT": "101",
                "JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET": "-5",
            },
            needs=[],
        )
    problems = "\n".join(error.value.problems)
    assert len(error.value.problems) == 3
    for name in (
        "STALE_DATA_THRESHOLD_DAYS='0'",
        "FRESHNESS_SLA_PERCENT='101'",
        "JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET='-5'",
    ):
        assert name in problems
