"""Cadence settings and `auto` planning, end to end: real PostgreSQL, the sandbox over HTTP.

Time travel: sync_status rows are seeded with timestamps relative to the database's now, so an
ASIN is due now, due before the next run, or not due yet."""

from __future__ import annotations

import dataclasses

import pytest

from sync import config as config_mod
from sync import hourly
from sync.hourly import run_hourly
from tests.helpers import Db, seed


def synced_ago(db: Db, asins: list[str], minutes: int) -> None:
    """Track `asins` as synced `minutes` ago (product and sales)."""
    for asin in asins:
        db.execute('INSERT INTO "{p}product" (asin, product_visibility) VALUES (%s, true)', (asin,))
        db.execute(
            'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
            "product_data_synced_at, sales_estimate_data_synced_at, created_at) VALUES (%s, true, true, "
            "(now() AT TIME ZONE 'UTC') - make_interval(mins => %s), "
            "(now() AT TIME ZONE 'UTC') - make_interval(mins => %s), "
            "(now() AT TIME ZONE 'UTC') - interval '400 days')",
            (asin, minutes, minutes),
        )


def asins(stem: str, n: int) -> list[str]:
    return [f"B0{stem}{i:04d}"[:10] for i in range(n)]


DAY = 24 * 60
NEW = asins("NEWA", 5)
OVERDUE = asins("OVRD", 3)  # 31 days old: due now
DUE_SOON = asins("SOON", 2)  # 30 days less 20 minutes old: due before the next run (1 h)
NOT_DUE = asins("LATE", 2)  # 29 days and 2 hours old: due in 22 hours


@pytest.fixture
def catalogue(staging: Db) -> Db:
    seed(staging, NEW)
    synced_ago(staging, OVERDUE, 31 * DAY)
    synced_ago(staging, DUE_SOON, 30 * DAY - 20)
    synced_ago(staging, NOT_DUE, 29 * DAY + 120)
    return staging


def processed(db: Db) -> set[str]:
    return {
        r[0]
        for r in db.rows(
            'SELECT asin FROM "{p}jungle_scout_sync_status" '
            "WHERE product_data_synced_at > (now() AT TIME ZONE 'UTC') - interval '1 hour'"
        )
    }


def test_the_default_takes_what_is_due_now_up_to_100(migrated, catalogue):
    assert migrated.hourly_sync_asin_limit == 100 and migrated.stale_data_threshold_days == 30
    status = run_hourly(migrated, "us")
    assert (status.new_asins_synced, status.stale_asins_synced) == (5, 3)
    assert processed(catalogue) == set(NEW + OVERDUE)
    assert status.plan == {"limit": 100, "auto": False, "capped_by": "limit", "requests_per_asin": 1.01}


def test_auto_takes_what_is_due_before_the_next_run(migrated, catalogue):
    auto = dataclasses.replace(migrated, hourly_sync_asin_limit="auto")
    status = run_hourly(auto, "us")
    assert (status.new_asins_synced, status.stale_asins_synced) == (5, 5)
    assert processed(catalogue) == set(NEW + OVERDUE + DUE_SOON)
    # 100,000 a minute for what is left of 3,000 s less the 120 s margin, at 1.01 requests per
    # ASIN: the time cap is far above the demand.
    seconds = status.plan["fetch_seconds"]
    assert seconds <= 3000 - 120
    assert status.plan["capped_by"] == "time" and status.plan["limit"] == int(100_000 * seconds / 60 / 1.01)


def test_auto_runs_less_often_looks_further_ahead(migrated, catalogue):
    # 1 run a day: everything due within 24 hours is taken, the ones due in 22 hours too.
    daily = dataclasses.replace(migrated, hourly_sync_asin_limit="auto", sync_runs_per_day=1)
    status = run_hourly(daily, "us")
    assert status.total_asins_processed == 12
    assert processed(catalogue) == set(NEW + OVERDUE + DUE_SOON + NOT_DUE)


def test_threshold_and_retry_days_are_settings(migrated, catalogue):
    week = dataclasses.replace(migrated, stale_data_threshold_days=7)
    status = run_hourly(week, "us")
    assert status.total_asins_processed == 12  # every tracked ASIN is older than 7 days
    assert status.freshness["fresh"] == 12 and status.freshness["overdue"] == 0


def test_a_batch_above_100_is_fetched_in_product_calls_of_100_and_merged_in_batches(
    migrated, staging, sandbox, monkeypatch
):
    # Merge batches of 101 instead of 1,000 keep the test small (the first batch still needs two
    # product calls, the second is a batch of its own); the logic is the same. The ASINs are
    # stale, not new: a month of sales each to land, not a year.
    monkeypatch.setattr(hourly, "MERGE_BATCH_ASINS", 101)
    many = asins("MANY", 112)
    staging.execute('INSERT INTO "{p}product" (asin, product_visibility) SELECT unnest(%s::text[]), true', (many,))
    staging.execute(
        'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
        "product_data_synced_at, sales_estimate_data_synced_at, created_at) "
        "SELECT asin, true, true, (now() AT TIME ZONE 'UTC') - interval '31 days', "
        "(now() AT TIME ZONE 'UTC') - interval '31 days', (now() AT TIME ZONE 'UTC') - interval '400 days' "
        "FROM unnest(%s::text[]) AS asin",
        (many,),
    )
    status = run_hourly(dataclasses.replace(migrated, hourly_sync_asin_limit=102), "us")
    assert status.total_asins_processed == status.successful_product_sync == status.stale_asins_synced == 102
    assert sandbox.stats()["by_endpoint"] == {"products": 2 + 1, "sales": 102}  # 100+1 | 1
    assert staging.scalar('SELECT count(DISTINCT load_id) FROM "{p}jssync_production_outbox"') == 2
    assert len(processed(staging)) == 102
    left = staging.scalar(
        'SELECT count(*) FROM "{p}jungle_scout_sync_status" '
        "WHERE product_data_synced_at < (now() AT TIME ZONE 'UTC') - interval '30 days'"
    )
    assert left == 10  # 112 tracked, 102 taken


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("HOURLY_SYNC_ASIN_LIMIT", "0", "or auto"),
        ("HOURLY_SYNC_ASIN_LIMIT", "many", "or auto"),
        ("STALE_DATA_THRESHOLD_DAYS", "-1", "an integer from 1 to 3650"),
        ("PRODUCT_NOT_FOUND_RETRY_DAYS", "x", "an integer from 1 to 3650"),
        ("SYNC_RUNS_PER_DAY", "0", "an integer from 1 to 1440"),
        ("SYNC_RUN_TIME_LIMIT_SECONDS", "5", "an integer from 10 to 86400"),
        ("JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET", "lots", "unset for no budget"),
        ("FRESHNESS_SLA_PERCENT", "101", "a number from 0 to 100"),
    ],
)
def test_bad_cadence_settings_say_what_is_allowed(env, name, value, allowed):
    with pytest.raises(config_mod.ConfigError) as caught:
        config_mod.load({**env, name: value})
    assert any(p.startswith(f"{name}={value!r} is invalid") and allowed in p for p in caught.value.problems)


def test_every_bad_cadence_setting_is_reported_at_once(env):
    bad = {"HOURLY_SYNC_ASIN_LIMIT": "0", "SYNC_RUNS_PER_DAY": "0", "FRESHNESS_SLA_PERCENT": "x"}
    with pytest.raises(config_mod.ConfigError) as caught:
        config_mod.load({**env, **bad})
    assert len(caught.value.problems) == 3


def test_cadence_settings_are_read(env):
    cfg = config_mod.load(
        {
            **env,
            "HOURLY_SYNC_ASIN_LIMIT": "AUTO",
            "STALE_DATA_THRESHOLD_DAYS": "7",
            "PRODUCT_NOT_FOUND_RETRY_DAYS": "3",
            "SYNC_RUNS_PER_DAY": "6",
            "SYNC_RUN_TIME_LIMIT_SECONDS": "1200",
            "JUNGLE_SCOUT_MONTHLY_REQUEST_BUDGET": "500000",
            "FRESHNESS_SLA_PERCENT": "95.5",
        }
    )
    assert (
        cfg.hourly_sync_asin_limit,
        cfg.stale_data_threshold_days,
        cfg.product_not_found_retry_days,
        cfg.sync_runs_per_day,
        cfg.sync_run_time_limit_seconds,
        cfg.monthly_request_budget,
        cfg.freshness_sla_percent,
    ) == ("auto", 7, 3, 6, 1200, 500_000, 95.5)
    default = config_mod.load(env)
    assert (
        default.hourly_sync_asin_limit,
        default.monthly_request_budget,
        default.sync_runs_per_day,
        default.sync_run_time_limit_seconds,
        default.product_not_found_retry_days,
        default.freshness_sla_percent,
    ) == (100, None, 24, 3000, 15, 99.0)
