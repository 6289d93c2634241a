"""Migration 0019: jssync_select_asins_v4 is _v3 plus a slack on the two retry timers (backoff and
not-found retry): a retry due within the slack after `now` is due now; staleness, tiers and order
are _v3's (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Db
from tests.loaders.test_selection_v3 import CATALOGUE, NOW, tiers

SLACK = 360  # seconds: a tenth of the hourly run period, what the service passes


def v4(db: Db, limit: int, stale_days: int, now: dt.datetime, slack: int) -> list[tuple]:
    return db.rows(
        'SELECT asin, kind, sales_synced_at FROM "{p}jssync_select_asins_v4"'
        "(%s, %s, 15, %s, p_retry_slack_seconds => %s)",
        (limit, stale_days, now, slack),
    )


@pytest.mark.parametrize("limit", [37, 1000])
def test_v4_without_slack_returns_what_v3_returns(staging: Db, limit: int):
    staging.execute(CATALOGUE, {"now": NOW})
    for now in (NOW, NOW + dt.timedelta(hours=5), NOW + dt.timedelta(days=20)):
        assert v4(staging, limit, 30, now, 0) == tiers(staging, "v3", limit, 30, now)


def test_a_retry_due_within_the_slack_is_due_and_nothing_else_changes(staging: Db):
    seconds = dt.timedelta(seconds=1)
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    rows = [
        # asin, has_product, product synced, sales synced, not found at, failures, last failure
        ("B0SLACKGP1", True, NOW - day, NOW - 2 * day, None, 1, NOW - hour + 300 * seconds),  # backoff ends in 5 min
        ("B0SLACKGP2", True, NOW - day, NOW - 2 * day, None, 1, NOW - hour + 400 * seconds),  # ends in 6 min 40 s
        ("B0SLACKGP3", True, NOW - day, NOW - 2 * day, None, 3, NOW - 4 * hour + 300 * seconds),  # 4 h step, 5 min
        ("B0SLACKNF1", False, None, None, NOW - 15 * day + 300 * seconds, 0, None),  # not-found retry in 5 min
        ("B0SLACKNF2", False, None, None, NOW - 15 * day + 400 * seconds, 0, None),  # in 6 min 40 s
        ("B0SLACKST1", True, NOW - 30 * day + 300 * seconds, NOW - 30 * day, None, 0, None),  # stale in 5 min
    ]
    for asin, has_product, product_at, sales_at, not_found_at, failures, failed_at in rows:
        staging.execute(
            'INSERT INTO "{p}jungle_scout_sync_status" (asin, has_product_data, has_sales_data, '
            "product_data_synced_at, sales_estimate_data_synced_at, product_fetch_attempted_at, "
            "failure_count, last_failure_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (asin, has_product, has_product, product_at, sales_at, not_found_at, failures, failed_at, NOW - 90 * day),
        )
    assert v4(staging, 100, 30, NOW, 0) == []
    got = [(asin, kind) for asin, kind, _ in v4(staging, 100, 30, NOW, SLACK)]
    assert got == [("B0SLACKNF1", "new"), ("B0SLACKGP1", "sales_gap"), ("B0SLACKGP3", "sales_gap")]
    # Six minutes later without slack, _v4 and _v3 agree on what is due then (the stale one too).
    later = NOW + SLACK * seconds
    assert v4(staging, 100, 30, later, 0) == tiers(staging, "v3", 100, 30, later)
    assert {r[0] for r in tiers(staging, "v3", 100, 30, later)} == {
        "B0SLACKNF1",
        "B0SLACKGP1",
        "B0SLACKGP3",
        "B0SLACKST1",
    }
